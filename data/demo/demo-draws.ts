// Draws demo tag sets (corpus rows and catalogue tracks) from the archetypes, one seeded
// core/rng.ts stream per row.
import type { RowStream } from '../../core/rng.js';
import { trainStream } from '../../models/train-streams.js';
import { ARCHETYPES, type Pool } from './demo-archetypes.js';
import { CATEGORIES, type Category, DEMO_TAXONOMY } from './demo-taxonomy.js';

/** The fixed seed of the committed demo data. */
export const DEMO_SEED = 20_240_808;
export const DEMO_CATALOGUE_TRACKS = 300;
export const DEMO_CORPUS_ROWS = 3_000;

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
