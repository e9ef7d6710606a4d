// The batched generation stages against a per-row reference written here from the rules
// (core/generation/generation.ts header), on the real ConceptCaps pack, catalogue and fitted counts, at
// the notebook's temperatures. The reference runs one row at a time: its own stream draws
// (normal() one by one, not fillNormal), one ONNX call per row, a plain sort for selection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CountModel,
  countSampler,
  fitCountModel,
  sampleCounts,
} from '../../../core/counts/index.js';
import {
  type ChunkSpec,
  generateLatentBatches,
  generateSeededBatches,
} from '../../../core/generation/generation.js';
import { clearVaeSessionCache, loadVaeSession } from '../../../core/generation/inference.js';
import type { SelectionPolicy } from '../../../core/generation/selection.js';
import type { VaeSession } from '../../../core/generation/vae-session.js';
import {
  type Catalogue,
  loadTaxonomy,
  readCatalogue,
  readTagCorpus,
} from '../../../core/inputs/index.js';
import { RowStream, Stage } from '../../../core/rng.js';
import { type GeneratedRow, GeneratedRowsView, Mode } from '../../../core/rows/index.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';
import { conceptcapsPackDir } from '../../helpers/pipeline.js';

const TEMPERATURES = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];
const SEED = 20_240_611;
const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
const C = taxonomy.categories.length;
const D = taxonomy.size;
const seedCategories = ['genre', 'instrument', 'mood'].map((c) => taxonomy.categories.indexOf(c));
/** Seeded rows: the catalogue's last rows (a chunk that does not start at row 0). */
const SEEDED = { rowStart: 1800, rowEnd: 2041 };
const LATENT = { rowStart: 5000, rowEnd: 5240 };

let session: VaeSession;
let L: number;
let catalogue: Catalogue;
let model: CountModel;
let seededCounts: Uint8Array;

beforeAll(async () => {
  session = await loadVaeSession({ packDir: await conceptcapsPackDir(), taxonomy });
  L = session.meta.latentDim;
  catalogue = await readCatalogue({
    path: conceptcaps('mtg_jamendo_top50tags_cleaned.csv'),
    taxonomy,
  });
  const corpus = await readTagCorpus({ path: conceptcaps('musiccaps_distilled.csv'), taxonomy });
  model = fitCountModel({
    categories: corpus.categories,
    counts: corpus.counts,
    rows: corpus.rows,
  });
  // As stage 2 (activities/fit-counts.ts) draws them.
  seededCounts = sampleCounts(model, { n: catalogue.rows, seed: SEED, stage: Stage.SeededCounts });
}, 120_000);
afterAll(() => clearVaeSessionCache());

/** A generated row with its tag lists as arrays (what GeneratedRowsView.row gives). */
type Row = GeneratedRow & { seedTags: number[]; generatedTags: number[]; originalTags: number[] };

// ---------------------------------------------------------------------------------------------
// The reference, one row at a time.

interface DecodedRow {
  z: Float32Array;
  probs: Float32Array;
  /** Requested counts per category, after the seeds lowered them. */
  requests: number[];
  seeds: number[];
}

function categoryOf(tag: number): number {
  return taxonomy.tagCategory[tag];
}

function tagsOfCategory(c: number): number[] {
  const { start, end } = taxonomy.ranges[c];
  return Array.from({ length: end - start }, (_, i) => start + i);
}

async function referenceSeededDecode(
  counts: Uint8Array,
  t: number,
  row: number,
): Promise<DecodedRow> {
  const stream = new RowStream({ seed: SEED, stage: Stage.Seeded, temperatureIndex: t, row });
  const requests = Array.from(counts.subarray(row * C, (row + 1) * C));
  const tags = Array.from(catalogue.tags[row]);
  const seeds: number[] = [];
  for (const c of seedCategories) {
    const pool = tags.filter((tag) => categoryOf(tag) === c);
    if (pool.length > 1) {
      seeds.push(pool[stream.int(pool.length)]);
      requests[c] = Math.max(0, requests[c] - 1);
    }
  }
  const x = new Float32Array(D);
  for (const tag of seeds) x[tag] = 1;
  // ε enters the model as float32, like every model input.
  const eps = Array.from({ length: L }, () => Math.fround(stream.normal()));
  const { mu, logvar } = await session.encode(x, 1);
  const z = new Float32Array(L);
  for (let j = 0; j < L; j++) z[j] = mu[j] + Math.exp(0.5 * logvar[j]) * eps[j];
  const probs = await session.decode(z, Float32Array.of(TEMPERATURES[t]), 1);
  return { z, probs, requests, seeds };
}

async function referenceLatentDecode(t: number, row: number): Promise<DecodedRow> {
  const zStream = new RowStream({ seed: SEED, stage: Stage.Latent, temperatureIndex: t, row });
  const z = Float32Array.from({ length: L }, () => zStream.normal());
  const requests = new Uint8Array(C);
  countSampler(model).sampleRow(
    new RowStream({ seed: SEED, stage: Stage.LatentCounts, temperatureIndex: t, row }),
    requests,
    0,
  );
  const probs = await session.decode(z, Float32Array.of(TEMPERATURES[t]), 1);
  return { z, probs, requests: Array.from(requests), seeds: [] };
}

/** Per category in taxonomy order: the k best non-seed tags, best first, ties to the lower id. */
function referenceSelect(
  decoded: DecodedRow,
  policy: SelectionPolicy,
  mode: number,
  t: number,
  row: number,
): number[] {
  const stream = new RowStream({
    seed: SEED,
    stage: Stage.Selection,
    temperatureIndex: 2 * t + mode,
    row,
  });
  const out: number[] = [];
  for (let c = 0; c < C; c++) {
    const candidates = tagsOfCategory(c).filter((tag) => !decoded.seeds.includes(tag));
    const k = Math.min(decoded.requests[c], candidates.length);
    if (k <= 0) continue;
    const score = new Map<number, number>();
    if (policy === 'topk') {
      for (const tag of candidates) score.set(tag, decoded.probs[tag]);
    } else {
      // Gumbel-top-k: one uniform per tag of the category (seeds included), in tag order.
      for (const tag of tagsOfCategory(c)) {
        const gumbel = -Math.log(-Math.log(1 - stream.uniform()));
        score.set(tag, Math.log(decoded.probs[tag]) + gumbel);
      }
    }
    const ranked = [...candidates].sort((a, b) => score.get(b)! - score.get(a)! || a - b);
    out.push(...ranked.slice(0, k));
  }
  return out;
}

function referenceRow(
  decoded: DecodedRow,
  policy: SelectionPolicy,
  mode: 'seeded' | 'latent',
  t: number,
  row: number,
): Row {
  return {
    mode: Mode[mode],
    temperatureIndex: t,
    temperature: TEMPERATURES[t],
    rowIndex: row,
    sourceId: mode === 'seeded' ? catalogue.ids[row] : null,
    seedTags: decoded.seeds,
    generatedTags: referenceSelect(decoded, policy, Mode[mode], t, row),
    originalTags: mode === 'seeded' ? Array.from(catalogue.tags[row]) : [],
  };
}

// ---------------------------------------------------------------------------------------------
// The batched implementation, read back row by row.

async function batchedRows(
  mode: 'seeded' | 'latent',
  params: { t: number; batchSize: number; policy: SelectionPolicy; counts?: Uint8Array },
): Promise<Row[]> {
  const range = mode === 'seeded' ? SEEDED : LATENT;
  const chunk: ChunkSpec = {
    temperatureIndex: params.t,
    temperature: TEMPERATURES[params.t],
    ...range,
  };
  const common = {
    runner: session,
    latentDim: L,
    taxonomy,
    seed: SEED,
    chunk,
    batchSize: params.batchSize,
    selection: params.policy,
  };
  const batches =
    mode === 'seeded'
      ? generateSeededBatches({
          ...common,
          catalogue,
          counts: params.counts ?? seededCounts,
          seedCategories,
        })
      : generateLatentBatches({ ...common, counts: countSampler(model) });
  const rows: Row[] = [];
  for await (const batch of batches) {
    const view = new GeneratedRowsView(batch);
    for (let i = 0; i < view.length; i++) rows.push(view.row(i) as Row);
  }
  return rows;
}

const decodedCache = new Map<string, Promise<DecodedRow[]>>();

/** The reference's decoded rows of a mode at temperature index t (computed once). */
function referenceDecoded(mode: 'seeded' | 'latent', t: number, counts = seededCounts) {
  const key = `${mode}/${t}/${counts === seededCounts ? 'fitted' : 'custom'}`;
  let entry = decodedCache.get(key);
  if (!entry) {
    entry = (async () => {
      const range = mode === 'seeded' ? SEEDED : LATENT;
      const out: DecodedRow[] = [];
      for (let row = range.rowStart; row < range.rowEnd; row++)
        out.push(
          mode === 'seeded'
            ? await referenceSeededDecode(counts, t, row)
            : await referenceLatentDecode(t, row),
        );
      return out;
    })();
    decodedCache.set(key, entry);
  }
  return entry;
}

async function referenceRows(
  mode: 'seeded' | 'latent',
  t: number,
  policy: SelectionPolicy,
  counts = seededCounts,
): Promise<Row[]> {
  const range = mode === 'seeded' ? SEEDED : LATENT;
  return (await referenceDecoded(mode, t, counts)).map((decoded, i) =>
    referenceRow(decoded, policy, mode, t, range.rowStart + i),
  );
}

function tagCountsByCategory(tags: readonly number[]): number[] {
  const out = new Array(C).fill(0);
  for (const tag of tags) out[categoryOf(tag)]++;
  return out;
}

describe.each(['seeded', 'latent'] as const)('%s generation', (mode) => {
  it.each(['topk', 'sample'] as const)(
    'matches the per-row reference at every notebook temperature (%s)',
    async (policy) => {
      for (let t = 0; t < TEMPERATURES.length; t++) {
        const expected = await referenceRows(mode, t, policy);
        const got = await batchedRows(mode, { t, batchSize: 2048, policy });
        expect(got.length).toBe(expected.length);
        for (let i = 0; i < got.length; i++) {
          if (JSON.stringify(got[i]) !== JSON.stringify(expected[i]))
            expect(got[i], `${mode} t=${t} row ${got[i].rowIndex}`).toEqual(expected[i]);
        }
      }
    },
    240_000,
  );

  it('gives the same rows for batch sizes 1, 7 and 2048', async () => {
    for (const t of [0, 3, 6]) {
      const [one, seven, large] = await Promise.all(
        [1, 7, 2048].map((batchSize) => batchedRows(mode, { t, batchSize, policy: 'topk' })),
      );
      expect(seven).toEqual(large);
      expect(one).toEqual(large);
    }
  }, 120_000);

  it('generates the requested counts per category, never a seed tag, with distinct z per temperature', async () => {
    let seedsSeen = 0;
    for (let t = 0; t < TEMPERATURES.length; t++) {
      const decoded = await referenceDecoded(mode, t);
      const rows = await batchedRows(mode, { t, batchSize: 2048, policy: 'topk' });
      rows.forEach((row, i) => {
        seedsSeen += row.seedTags.length;
        for (const tag of row.generatedTags) expect(row.seedTags).not.toContain(tag);
        expect(new Set(row.generatedTags).size).toBe(row.generatedTags.length);
        const perCategory = tagCountsByCategory(row.generatedTags);
        const seedsPerCategory = tagCountsByCategory(row.seedTags);
        for (let c = 0; c < C; c++) {
          const size = taxonomy.ranges[c].end - taxonomy.ranges[c].start;
          expect(perCategory[c]).toBe(Math.min(decoded[i].requests[c], size - seedsPerCategory[c]));
        }
        if (mode === 'seeded') {
          // At most one seed per seed category, drawn from the track's own tags.
          for (const tag of row.seedTags) expect(row.originalTags).toContain(tag);
          expect(Math.max(...seedsPerCategory)).toBeLessThanOrEqual(1);
        }
      });
    }
    if (mode === 'seeded') expect(seedsSeen).toBeGreaterThan(0);

    // Temperature indices 2 and 3 are both 1.0: only their z differ. Each row's z is distinct,
    // and so are most decoded tag sets.
    const [a, b] = await Promise.all([referenceDecoded(mode, 2), referenceDecoded(mode, 3)]);
    for (let i = 0; i < a.length; i++) expect(a[i].z).not.toEqual(b[i].z);
    const [rowsA, rowsB] = await Promise.all(
      [2, 3].map((t) => batchedRows(mode, { t, batchSize: 2048, policy: 'topk' })),
    );
    const differing = rowsA.filter(
      (row, i) => row.generatedTags.join() !== rowsB[i].generatedTags.join(),
    ).length;
    expect(differing).toBeGreaterThan(rowsA.length / 2);
    // Within one temperature, every row has its own z.
    expect(new Set(a.map((d) => Array.from(d.z).join())).size).toBe(a.length);
  }, 240_000);
});

describe('seeded requests beyond what a category has left', () => {
  it('gives every remaining tag instead of failing', async () => {
    // Every row asks for more tags than any category holds (k + seeds > category size).
    const greedy = new Uint8Array(seededCounts.length).fill(255);
    const rows = await batchedRows('seeded', {
      t: 4,
      batchSize: 64,
      policy: 'topk',
      counts: greedy,
    });
    expect(rows).toEqual(await referenceRows('seeded', 4, 'topk', greedy));
    let seeded = 0;
    for (const row of rows) {
      const seedsPerCategory = tagCountsByCategory(row.seedTags);
      seeded += row.seedTags.length;
      const perCategory = tagCountsByCategory(row.generatedTags);
      for (let c = 0; c < C; c++) {
        const size = taxonomy.ranges[c].end - taxonomy.ranges[c].start;
        expect(perCategory[c]).toBe(size - seedsPerCategory[c]);
      }
      expect(row.generatedTags.length + row.seedTags.length).toBe(D);
    }
    expect(seeded).toBeGreaterThan(0);
  }, 120_000);
});
