// The hand-written archetypes the demo rows are drawn from: one musical style each, with a
// prevalence and per-category pools of weighted tags.
import type { Category } from './demo-taxonomy.js';

/** Tag → weight; a higher weight makes the tag more typical of the archetype. */
export type Pool = Record<string, number>;

export interface Archetype {
  name: string;
  /** Relative prevalence in the corpus and the catalogue. */
  weight: number;
  pools: Record<Category, Pool>;
}

// Each archetype is a style as a listener would describe it. Weights: 5 = nearly always,
// 3 = common, 1 = occasional.
export const ARCHETYPES: readonly Archetype[] = [
  {
    name: 'lo-fi hip hop',
    weight: 6,
    pools: {
      tempo: { 'slow tempo': 4, 'medium tempo': 3, 'half-time feel': 2, 'steady rhythm': 1 },
      genre: { 'lo-fi': 5, 'hip hop': 4, jazz: 1, electronic: 1 },
      mood: { chill: 5, relaxed: 4, nostalgic: 3, dreamy: 2, melancholic: 2, calm: 1 },
      instrument: {
        'drum machine': 5,
        'electric piano': 4,
        piano: 2,
        'bass guitar': 2,
        'synth bass': 2,
        saxophone: 1,
      },
    },
  },
  {
    name: 'classic rock',
    weight: 7,
    pools: {
      tempo: { 'medium tempo': 3, uptempo: 3, 'driving beat': 3, 'fast tempo': 1 },
      genre: { rock: 5, 'hard rock': 2, blues: 1, pop: 1 },
      mood: { energetic: 4, passionate: 3, rebellious: 2, happy: 1, carefree: 1 },
      instrument: {
        'electric guitar': 5,
        'bass guitar': 4,
        drums: 5,
        'male vocals': 4,
        'distorted guitar': 2,
        organ: 1,
      },
    },
  },
  {
    name: 'heavy metal',
    weight: 4,
    pools: {
      tempo: { 'fast tempo': 4, 'very fast tempo': 3, 'driving beat': 2 },
      genre: { metal: 5, 'hard rock': 3, rock: 1 },
      mood: { aggressive: 5, dark: 4, intense: 4, epic: 1 },
      instrument: { 'distorted guitar': 5, 'bass guitar': 3, drums: 5, 'male vocals': 3 },
    },
  },
  {
    name: 'punk',
    weight: 3,
    pools: {
      tempo: { 'fast tempo': 5, 'very fast tempo': 2, 'driving beat': 2 },
      genre: { punk: 5, rock: 3 },
      mood: { rebellious: 5, energetic: 4, aggressive: 3, carefree: 1 },
      instrument: { 'distorted guitar': 5, 'bass guitar': 3, drums: 5, 'male vocals': 4 },
    },
  },
  {
    name: 'mainstream pop',
    weight: 9,
    pools: {
      tempo: { 'medium tempo': 4, uptempo: 4, 'four on the floor': 1, 'steady rhythm': 1 },
      genre: { pop: 5, electronic: 1, 'r&b': 1, disco: 1 },
      mood: { happy: 4, uplifting: 3, romantic: 2, playful: 2, carefree: 2, energetic: 2 },
      instrument: {
        synthesizer: 4,
        'drum machine': 3,
        'female vocals': 4,
        'male vocals': 2,
        piano: 2,
        'bass guitar': 1,
        'synth bass': 2,
        'acoustic guitar': 1,
      },
    },
  },
  {
    name: 'house and techno',
    weight: 6,
    pools: {
      tempo: { 'four on the floor': 5, uptempo: 3, 'fast tempo': 2, 'driving beat': 2 },
      genre: { house: 4, techno: 4, electronic: 4, disco: 1 },
      mood: { energetic: 4, euphoric: 3, hypnotic: 3, dark: 1, uplifting: 1 },
      instrument: {
        'drum machine': 5,
        'synth bass': 4,
        synthesizer: 4,
        'synth pads': 2,
        'female vocals': 1,
        piano: 1,
      },
    },
  },
  {
    name: 'drum and bass',
    weight: 3,
    pools: {
      tempo: { 'very fast tempo': 4, 'fast tempo': 3, 'syncopated rhythm': 3 },
      genre: { 'drum and bass': 5, electronic: 4 },
      mood: { energetic: 4, intense: 3, dark: 2, euphoric: 1 },
      instrument: { 'electronic drums': 5, 'synth bass': 5, 'synth pads': 2, synthesizer: 2 },
    },
  },
  {
    name: 'ambient',
    weight: 4,
    pools: {
      tempo: { 'very slow tempo': 4, 'slow tempo': 4 },
      genre: { ambient: 5, electronic: 3, cinematic: 1 },
      mood: { calm: 4, peaceful: 4, dreamy: 4, mysterious: 2, melancholic: 1 },
      instrument: { 'synth pads': 5, synthesizer: 3, piano: 2, strings: 2 },
    },
  },
  {
    name: 'cinematic orchestral',
    weight: 5,
    pools: {
      tempo: { 'slow tempo': 3, 'medium tempo': 3, 'driving beat': 1 },
      genre: { orchestral: 5, cinematic: 5, classical: 2 },
      mood: { epic: 5, dramatic: 4, triumphant: 3, tense: 2, mysterious: 1 },
      instrument: {
        strings: 5,
        brass: 4,
        choir: 3,
        percussion: 3,
        piano: 1,
        cello: 2,
        violin: 2,
      },
    },
  },
  {
    name: 'classical chamber',
    weight: 4,
    pools: {
      tempo: { 'slow tempo': 4, 'medium tempo': 3, 'very slow tempo': 1 },
      genre: { classical: 5 },
      mood: { calm: 3, melancholic: 3, romantic: 2, sentimental: 2, peaceful: 2, sad: 1 },
      instrument: { piano: 5, violin: 4, cello: 4, strings: 2, flute: 2 },
    },
  },
  {
    name: 'jazz combo',
    weight: 5,
    pools: {
      tempo: { 'swing rhythm': 5, 'medium tempo': 3, 'slow tempo': 2, uptempo: 1 },
      genre: { jazz: 5, blues: 1, soul: 1 },
      mood: { relaxed: 4, warm: 3, romantic: 2, playful: 2, sensual: 1 },
      instrument: {
        'upright bass': 5,
        drums: 4,
        piano: 4,
        saxophone: 4,
        trumpet: 3,
        'female vocals': 1,
      },
    },
  },
  {
    name: 'blues',
    weight: 4,
    pools: {
      tempo: { 'slow tempo': 4, 'medium tempo': 3, 'steady rhythm': 2, 'swing rhythm': 1 },
      genre: { blues: 5, rock: 2, soul: 1 },
      mood: { melancholic: 4, sad: 3, passionate: 3, warm: 1 },
      instrument: {
        'electric guitar': 5,
        harmonica: 3,
        'bass guitar': 3,
        drums: 3,
        'male vocals': 4,
        piano: 1,
        organ: 2,
      },
    },
  },
  {
    name: 'funk and soul',
    weight: 5,
    pools: {
      tempo: { 'groovy rhythm': 5, 'syncopated rhythm': 3, 'medium tempo': 3, uptempo: 1 },
      genre: { funk: 5, soul: 4, disco: 2, 'r&b': 2 },
      mood: { happy: 3, energetic: 3, playful: 3, sensual: 2, passionate: 1 },
      instrument: {
        'bass guitar': 5,
        'electric guitar': 4,
        drums: 4,
        brass: 3,
        organ: 2,
        'electric piano': 2,
        'female vocals': 2,
        'male vocals': 2,
      },
    },
  },
  {
    name: 'acoustic folk',
    weight: 5,
    pools: {
      tempo: { 'slow tempo': 3, 'medium tempo': 4, 'steady rhythm': 1 },
      genre: { folk: 5, country: 1, pop: 1 },
      mood: { warm: 3, nostalgic: 3, sentimental: 3, melancholic: 2, peaceful: 2, calm: 1 },
      instrument: {
        'acoustic guitar': 5,
        'male vocals': 3,
        'female vocals': 3,
        harmonica: 2,
        banjo: 1,
        violin: 1,
      },
    },
  },
  {
    name: 'country',
    weight: 4,
    pools: {
      tempo: { 'medium tempo': 4, uptempo: 3, 'steady rhythm': 2 },
      genre: { country: 5, folk: 2, rock: 1 },
      mood: { happy: 3, carefree: 3, nostalgic: 3, sentimental: 1 },
      instrument: {
        'acoustic guitar': 5,
        banjo: 3,
        violin: 3,
        'bass guitar': 2,
        drums: 2,
        'male vocals': 4,
        'electric guitar': 2,
      },
    },
  },
  {
    name: 'reggae',
    weight: 3,
    pools: {
      tempo: { 'medium tempo': 3, 'syncopated rhythm': 3, 'half-time feel': 2, 'slow tempo': 1 },
      genre: { reggae: 5 },
      mood: { relaxed: 4, happy: 3, carefree: 3, warm: 1 },
      instrument: {
        'bass guitar': 5,
        drums: 4,
        organ: 3,
        'electric guitar': 3,
        'male vocals': 4,
        brass: 1,
      },
    },
  },
  {
    name: 'bossa nova and latin',
    weight: 3,
    pools: {
      tempo: { 'medium tempo': 3, 'syncopated rhythm': 4, 'slow tempo': 1, uptempo: 1 },
      genre: { 'bossa nova': 4, latin: 4, jazz: 2 },
      mood: { romantic: 4, relaxed: 3, warm: 3, happy: 2, sensual: 1 },
      instrument: {
        'acoustic guitar': 5,
        percussion: 4,
        'female vocals': 3,
        flute: 2,
        piano: 1,
        'upright bass': 2,
      },
    },
  },
  {
    name: 'synthwave',
    weight: 3,
    pools: {
      tempo: { 'medium tempo': 3, uptempo: 3, 'driving beat': 3 },
      genre: { synthwave: 5, electronic: 4, pop: 1 },
      mood: { nostalgic: 5, dreamy: 3, energetic: 2, mysterious: 1 },
      instrument: { synthesizer: 5, 'synth bass': 4, 'drum machine': 4, 'synth pads': 3 },
    },
  },
  {
    name: 'r&b slow jam',
    weight: 4,
    pools: {
      tempo: { 'slow tempo': 4, 'medium tempo': 2, 'half-time feel': 3 },
      genre: { 'r&b': 5, soul: 3, pop: 2, 'hip hop': 1 },
      mood: { romantic: 5, sensual: 4, passionate: 2, warm: 2, chill: 1 },
      instrument: {
        'female vocals': 4,
        'male vocals': 3,
        'electric piano': 3,
        'drum machine': 4,
        'synth bass': 3,
        synthesizer: 1,
      },
    },
  },
  {
    name: 'hip hop',
    weight: 5,
    pools: {
      tempo: { 'medium tempo': 4, 'half-time feel': 3, 'groovy rhythm': 2, 'slow tempo': 1 },
      genre: { 'hip hop': 5, 'r&b': 1, funk: 1 },
      mood: { aggressive: 2, dark: 2, energetic: 3, playful: 1, intense: 2, rebellious: 1 },
      instrument: {
        'drum machine': 5,
        'synth bass': 4,
        'male vocals': 5,
        synthesizer: 2,
        piano: 1,
        'female vocals': 1,
      },
    },
  },
];
