// Makes tagflow's demo inputs: a small taxonomy, a source catalogue and a reference corpus of
// music-tag sets, all drawn from hand-written, musically sensible archetypes (no dataset was
// copied). Seeded through core/rng.ts, so every run writes the same bytes.
//
//   npx tsx data/demo/make-demo-data.ts [outDir]     (default: data/demo)
//
// See data/demo/README.md for what the archetypes are and how rows are drawn.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RowStream } from '../../core/rng.js';
import { trainStream } from '../../models/train-streams.js';

/** The fixed seed of the committed demo data. */
export const DEMO_SEED = 20_240_808;
export const DEMO_CATALOGUE_TRACKS = 300;
export const DEMO_CORPUS_ROWS = 3_000;

export const CATEGORIES = ['tempo', 'genre', 'mood', 'instrument'] as const;
type Category = (typeof CATEGORIES)[number];

/** The demo taxonomy, category order then tag order (the model's vector index). */
export const DEMO_TAXONOMY: Record<Category, string[]> = {
  tempo: [
    'very slow tempo',
    'slow tempo',
    'medium tempo',
    'uptempo',
    'fast tempo',
    'very fast tempo',
    'groovy rhythm',
    'steady rhythm',
    'syncopated rhythm',
    'four on the floor',
    'half-time feel',
    'swing rhythm',
    'driving beat',
  ],
  genre: [
    'rock',
    'hard rock',
    'metal',
    'punk',
    'pop',
    'electronic',
    'house',
    'techno',
    'drum and bass',
    'synthwave',
    'ambient',
    'hip hop',
    'lo-fi',
    'r&b',
    'soul',
    'funk',
    'disco',
    'jazz',
    'blues',
    'folk',
    'country',
    'reggae',
    'latin',
    'bossa nova',
    'classical',
    'orchestral',
    'cinematic',
  ],
  mood: [
    'happy',
    'sad',
    'melancholic',
    'energetic',
    'calm',
    'relaxed',
    'chill',
    'aggressive',
    'dark',
    'uplifting',
    'romantic',
    'nostalgic',
    'dreamy',
    'epic',
    'dramatic',
    'tense',
    'playful',
    'peaceful',
    'passionate',
    'mysterious',
    'triumphant',
    'warm',
    'intense',
    'rebellious',
    'hypnotic',
    'euphoric',
    'sensual',
    'carefree',
    'sentimental',
  ],
  instrument: [
    'acoustic guitar',
    'electric guitar',
    'distorted guitar',
    'bass guitar',
    'synth bass',
    'upright bass',
    'drums',
    'drum machine',
    'electronic drums',
    'percussion',
    'piano',
    'electric piano',
    'organ',
    'synthesizer',
    'synth pads',
    'strings',
    'violin',
    'cello',
    'brass',
    'trumpet',
    'saxophone',
    'flute',
    'harmonica',
    'banjo',
    'male vocals',
    'female vocals',
    'choir',
  ],
};

/** Tag → weight; a higher weight makes the tag more typical of the archetype. */
type Pool = Record<string, number>;

interface Archetype {
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

/** Probability of each tag count, from 1 up, per category (tempo tags are fewest). */
const CORPUS_COUNT_WEIGHTS: Record<Category, number[]> = {
  tempo: [78, 20, 2],
  genre: [55, 33, 12],
  mood: [35, 35, 20, 10],
  instrument: [18, 30, 30, 16, 6],
};
/** Probability that a corpus row has no tag of a category (captions often omit tempo). */
const CORPUS_EMPTY_PROBABILITY: Record<Category, number> = {
  tempo: 0.25,
  genre: 0.1,
  mood: 0.1,
  instrument: 0.05,
};
/** Catalogue tracks are tagged more fully (several tags per category, like MTG-Jamendo). */
const CATALOGUE_COUNT_WEIGHTS: Record<Category, number[]> = {
  tempo: [70, 25, 5],
  genre: [40, 40, 20],
  mood: [35, 40, 25],
  instrument: [10, 25, 35, 20, 10],
};
const CATALOGUE_EMPTY_PROBABILITY: Record<Category, number> = {
  tempo: 0.3,
  genre: 0,
  mood: 0,
  instrument: 0,
};
/** Chance that a drawn tag comes from the whole category instead of the archetype's pool. */
const STRAY_TAG_PROBABILITY = 0.04;

function weightedIndex(stream: RowStream, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = stream.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** Draws `count` distinct tags: weighted without replacement from the pool, sometimes a stray. */
function drawTags(stream: RowStream, category: Category, pool: Pool, count: number): string[] {
  const candidates = Object.entries(pool);
  const chosen: string[] = [];
  while (chosen.length < count) {
    let tag: string;
    const open = candidates.filter(([t]) => !chosen.includes(t));
    if (open.length === 0 || stream.uniform() < STRAY_TAG_PROBABILITY) {
      tag = stream.choice(DEMO_TAXONOMY[category]);
    } else {
      tag =
        open[
          weightedIndex(
            stream,
            open.map(([, w]) => w),
          )
        ][0];
    }
    if (!chosen.includes(tag)) chosen.push(tag);
  }
  return chosen;
}

export interface DemoTagSet {
  archetype: string;
  tags: Record<Category, string[]>;
}

function drawTagSet(
  stream: RowStream,
  countWeights: Record<Category, number[]>,
  emptyProbability: Record<Category, number>,
  minNonEmpty: number,
): DemoTagSet {
  const archetype =
    ARCHETYPES[
      weightedIndex(
        stream,
        ARCHETYPES.map((a) => a.weight),
      )
    ];
  // Which categories are empty: redrawn until enough are tagged (the reference corpus keeps
  // rows with at least three tagged categories, as ConceptCaps' distilled MusicCaps does).
  let empty: boolean[];
  do {
    empty = CATEGORIES.map((c) => stream.uniform() < emptyProbability[c]);
  } while (empty.filter((e) => !e).length < minNonEmpty);
  const tags = {} as Record<Category, string[]>;
  CATEGORIES.forEach((category, i) => {
    const pool = archetype.pools[category];
    const drawn = 1 + weightedIndex(stream, countWeights[category]);
    // No more tags than the archetype knows for the category: padding with strays would blur it.
    const count = empty[i] ? 0 : Math.min(drawn, Object.keys(pool).length);
    tags[category] = drawTags(stream, category, pool, count);
  });
  return { archetype: archetype.name, tags };
}

export function demoCorpus(seed = DEMO_SEED, rows = DEMO_CORPUS_ROWS): DemoTagSet[] {
  return Array.from({ length: rows }, (_, row) =>
    drawTagSet(
      trainStream(seed, 'demoCorpus', row),
      CORPUS_COUNT_WEIGHTS,
      CORPUS_EMPTY_PROBABILITY,
      3,
    ),
  );
}

export function demoCatalogue(seed = DEMO_SEED, tracks = DEMO_CATALOGUE_TRACKS): DemoTagSet[] {
  return Array.from({ length: tracks }, (_, row) =>
    drawTagSet(
      trainStream(seed, 'demoCatalogue', row),
      CATALOGUE_COUNT_WEIGHTS,
      CATALOGUE_EMPTY_PROBABILITY,
      3,
    ),
  );
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

/** A Python list literal of strings, as the real catalogue writes its list cells. */
function pythonList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

function checkTaxonomy() {
  const seen = new Set<string>();
  for (const category of CATEGORIES) {
    for (const tag of DEMO_TAXONOMY[category]) {
      // Tags end up in comma-joined cells and single-quoted Python literals.
      if (/[,'"\\]/.test(tag))
        throw new Error(`demo tag "${tag}" has a character cells cannot hold`);
      if (seen.has(tag)) throw new Error(`demo tag "${tag}" appears twice`);
      seen.add(tag);
    }
  }
  for (const archetype of ARCHETYPES) {
    for (const category of CATEGORIES) {
      for (const tag of Object.keys(archetype.pools[category])) {
        if (!DEMO_TAXONOMY[category].includes(tag)) {
          throw new Error(`archetype "${archetype.name}": "${tag}" is not a ${category} tag`);
        }
      }
    }
  }
}

export interface DemoFiles {
  'taxonomy.json': string;
  'catalogue.csv': string;
  'corpus.csv': string;
}

/** The three demo files' contents. */
export function makeDemoData(seed = DEMO_SEED): DemoFiles {
  checkTaxonomy();
  const taxonomy = `${JSON.stringify(DEMO_TAXONOMY, null, 2)}\n`;

  let catalogue = csvLine([
    'id',
    'genre_tags',
    'mood_tags',
    'instrument_tags',
    'tempo_tags',
    'aspect_list',
  ]);
  demoCatalogue(seed).forEach((track, i) => {
    const t = track.tags;
    const all = [...t.tempo, ...t.genre, ...t.mood, ...t.instrument];
    catalogue += csvLine([
      `demo_${String(i + 1).padStart(4, '0')}`,
      pythonList(t.genre),
      pythonList(t.mood),
      pythonList(t.instrument),
      pythonList(t.tempo),
      pythonList(all),
    ]);
  });

  let corpus = csvLine(['aspect_list', 'tempo_tags', 'genre_tags', 'mood_tags', 'instrument_tags']);
  for (const row of demoCorpus(seed)) {
    const t = row.tags;
    const all = [...t.tempo, ...t.genre, ...t.mood, ...t.instrument];
    corpus += csvLine([all, t.tempo, t.genre, t.mood, t.instrument].map((l) => l.join(', ')));
  }
  return { 'taxonomy.json': taxonomy, 'catalogue.csv': catalogue, 'corpus.csv': corpus };
}

/** Writes the demo files into `outDir`, each atomically (temp file, then rename). */
export function writeDemoData(params: { outDir: string; seed?: number }): DemoFiles {
  const files = makeDemoData(params.seed);
  mkdirSync(params.outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const path = join(params.outDir, name);
    const temp = `${path}.tmp-${process.pid}`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  }
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? fileURLToPath(new URL('.', import.meta.url)));
  const files = writeDemoData({ outDir });
  for (const [name, text] of Object.entries(files)) {
    console.log(`${join(outDir, name)}: ${text.length.toLocaleString('en-US')} bytes`);
  }
}
