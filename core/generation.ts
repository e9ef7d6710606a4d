// Stages 3 and 4, batched: tag sets from catalogue tracks (seeded) and from the prior (latent).
//
// Every random draw of a row comes from streams keyed by (run seed, stage, temperature index,
// row), so a row's output is the same whatever batch or chunk it is computed in. A chunk is a
// range of rows at one temperature; it is generated batch by batch (one model call per batch)
// and each batch becomes one Arrow record batch.
//
// Seeded, per catalogue row r at temperature t (stream Seeded/t/r):
//   requests  = the row's requested counts from stage 2 (the same at every temperature, as in
//               the notebook);
//   for each seed category (default genre, instrument, mood) in which the track has more
//   than one tag: draw one seed tag uniformly, lower that category's request by one;
//   ε ~ N(0, I) (latentDim draws, rounded to float32 like every model input);
//   z = mu(x) + exp(logvar(x)/2)·ε, x = multi-hot of the seeds;
//   decode at t; select per category excluding the seeds.
// Latent, per latent row r at temperature t: z ~ N(0, I) from stream Latent/t/r (one distinct
// vector per row, unlike the notebook, which reused N vectors); requests from the count model
// with stream LatentCounts/t/r; decode at t; select.
// Selection with the `sample` policy draws from stream Selection/(2t + mode)/r.
// With z-coupled counts (core/count-coupling.ts) a latent row's requests are drawn after
// decoding, from the same stream LatentCounts/t/r. Seeded rows keep their stored counts: their
// z comes from the encoder's posterior, which the coupling's calibration does not describe
// (coupling them moved their count histograms by W1 ≈ 0.7, bench/quality-report.ts).
import type { RecordBatch } from 'apache-arrow';
import type { CoupledCountSampler } from './count-coupling.js';
import { GeneratedRowsBuilder, Mode } from './generated-rows.js';
import { RowStream, Stage } from './rng.js';
import { type SelectionPolicy, SelectionScratch, selectTags } from './selection.js';
import type { Taxonomy } from './taxonomy.js';

/** What generation needs from a model: batched encode and decode over row-major typed arrays. */
export interface VaeRunner {
  encode(x: Float32Array, n: number): Promise<{ mu: Float32Array; logvar: Float32Array }>;
  decode(z: Float32Array, temperature: Float32Array, n: number): Promise<Float32Array>;
}

/** Draws one row of requested tag counts (one per category) from a stream. */
export interface RowCountSampler {
  sampleRow(stream: RowStream, out: Uint8Array, offset: number): void;
}

export interface ChunkSpec {
  temperatureIndex: number;
  temperature: number;
  /** First row (inclusive). */
  rowStart: number;
  /** Last row (exclusive). */
  rowEnd: number;
}

interface CommonParams {
  runner: VaeRunner;
  latentDim: number;
  taxonomy: Taxonomy;
  seed: number;
  chunk: ChunkSpec;
  batchSize: number;
  selection: SelectionPolicy;
  /** Resume: skip this many whole batches of the chunk (they were written before a retry). */
  startBatch?: number;
}

export interface SeededParams extends CommonParams {
  /** Catalogue ids and tags (per row, grouped by category), indexed by catalogue row. */
  catalogue: { ids: readonly string[]; tags: readonly Uint16Array[] };
  /** Requested counts, rows × categories, indexed by catalogue row. */
  counts: Uint8Array;
  /** Category indices seed tags are drawn from, in draw order. */
  seedCategories: readonly number[];
}

export interface LatentParams extends CommonParams {
  counts: RowCountSampler;
  /** z-coupled counts: when given, they replace `counts`' draws (same stream). */
  coupledCounts?: CoupledCountSampler;
}

/** The number of batches a chunk is cut into. */
export function batchCount(chunk: ChunkSpec, batchSize: number): number {
  return Math.ceil((chunk.rowEnd - chunk.rowStart) / batchSize);
}

function selectionStream(seed: number, chunk: ChunkSpec, mode: number, row: number): RowStream {
  return new RowStream({
    seed,
    stage: Stage.Selection,
    temperatureIndex: chunk.temperatureIndex * 2 + mode,
    row,
  });
}

/** Per-batch buffers, allocated once per chunk. */
class BatchBuffers {
  readonly x: Float32Array;
  readonly eps: Float32Array;
  readonly z: Float32Array;
  readonly temperature: Float32Array;
  readonly requests: Uint8Array;
  readonly seeds: Uint16Array;
  readonly seedCounts: Uint8Array;
  readonly selected: Uint16Array;
  readonly scratch: SelectionScratch;

  constructor(taxonomy: Taxonomy, latentDim: number, batchSize: number, maxSeeds: number) {
    this.x = new Float32Array(batchSize * taxonomy.size);
    this.eps = new Float32Array(batchSize * latentDim);
    this.z = new Float32Array(batchSize * latentDim);
    this.temperature = new Float32Array(batchSize);
    this.requests = new Uint8Array(batchSize * taxonomy.categories.length);
    this.seeds = new Uint16Array(Math.max(1, batchSize * maxSeeds));
    this.seedCounts = new Uint8Array(batchSize);
    this.selected = new Uint16Array(taxonomy.size);
    this.scratch = new SelectionScratch(taxonomy);
  }
}

const EMPTY = new Uint16Array(0);

/** Seeded generation of one chunk, one RecordBatch per model batch. */
export async function* generateSeededBatches(params: SeededParams): AsyncGenerator<RecordBatch> {
  const {
    runner,
    latentDim: L,
    taxonomy,
    seed,
    chunk,
    batchSize,
    catalogue,
    counts,
    seedCategories,
  } = params;
  const C = taxonomy.categories.length;
  const D = taxonomy.size;
  const buffers = new BatchBuffers(taxonomy, L, batchSize, seedCategories.length);
  const perCategory: number[][] = taxonomy.categories.map(() => []);
  const batches = batchCount(chunk, batchSize);

  for (let b = params.startBatch ?? 0; b < batches; b++) {
    const first = chunk.rowStart + b * batchSize;
    const n = Math.min(batchSize, chunk.rowEnd - first);
    const { x, eps, z, temperature, requests, seeds, seedCounts } = buffers;
    x.fill(0, 0, n * D);
    for (let i = 0; i < n; i++) {
      const row = first + i;
      const stream = new RowStream({
        seed,
        stage: Stage.Seeded,
        temperatureIndex: chunk.temperatureIndex,
        row,
      });
      for (let c = 0; c < C; c++) requests[i * C + c] = counts[row * C + c];
      for (const list of perCategory) list.length = 0;
      const tags = catalogue.tags[row];
      for (let k = 0; k < tags.length; k++)
        perCategory[taxonomy.tagCategory[tags[k]]].push(tags[k]);
      let s = 0;
      for (const c of seedCategories) {
        const pool = perCategory[c];
        if (pool.length > 1) {
          const tag = stream.choice(pool);
          seeds[i * seedCategories.length + s++] = tag;
          x[i * D + tag] = 1;
          if (requests[i * C + c] > 0) requests[i * C + c]--;
        }
      }
      seedCounts[i] = s;
      stream.fillNormal(eps, i * L, L);
      temperature[i] = chunk.temperature;
    }
    const { mu, logvar } = await runner.encode(x.subarray(0, n * D), n);
    for (let j = 0; j < n * L; j++) z[j] = mu[j] + Math.exp(0.5 * logvar[j]) * eps[j];
    const probs = await runner.decode(z.subarray(0, n * L), temperature.subarray(0, n), n);

    const builder = new GeneratedRowsBuilder(n, 8);
    for (let i = 0; i < n; i++) {
      const row = first + i;
      const seedList = seeds.subarray(
        i * seedCategories.length,
        i * seedCategories.length + seedCounts[i],
      );
      const written = selectTags(
        taxonomy,
        params.selection,
        probs,
        i,
        requests.subarray(i * C, (i + 1) * C),
        seedList,
        seedList.length,
        buffers.scratch,
        buffers.selected,
        0,
        params.selection === 'sample' ? selectionStream(seed, chunk, Mode.seeded, row) : undefined,
      );
      builder.push(
        {
          mode: Mode.seeded,
          temperatureIndex: chunk.temperatureIndex,
          temperature: chunk.temperature,
          rowIndex: row,
          sourceId: catalogue.ids[row],
          seedTags: seedList,
          generatedTags: buffers.selected,
          originalTags: catalogue.tags[row],
        },
        written,
      );
    }
    yield builder.finish();
  }
}

/** Latent generation of one chunk, one RecordBatch per model batch. */
export async function* generateLatentBatches(params: LatentParams): AsyncGenerator<RecordBatch> {
  const { runner, latentDim: L, taxonomy, seed, chunk, batchSize } = params;
  const C = taxonomy.categories.length;
  const buffers = new BatchBuffers(taxonomy, L, batchSize, 0);
  const batches = batchCount(chunk, batchSize);

  for (let b = params.startBatch ?? 0; b < batches; b++) {
    const first = chunk.rowStart + b * batchSize;
    const n = Math.min(batchSize, chunk.rowEnd - first);
    const { z, temperature, requests } = buffers;
    for (let i = 0; i < n; i++) {
      const row = first + i;
      const t = chunk.temperatureIndex;
      new RowStream({ seed, stage: Stage.Latent, temperatureIndex: t, row }).fillNormal(
        z,
        i * L,
        L,
      );
      if (!params.coupledCounts) {
        params.counts.sampleRow(
          new RowStream({ seed, stage: Stage.LatentCounts, temperatureIndex: t, row }),
          requests,
          i * C,
        );
      }
      temperature[i] = chunk.temperature;
    }
    const probs = await runner.decode(z.subarray(0, n * L), temperature.subarray(0, n), n);

    const builder = new GeneratedRowsBuilder(n, 8);
    for (let i = 0; i < n; i++) {
      const row = first + i;
      if (params.coupledCounts) {
        const t = chunk.temperatureIndex;
        const stream = new RowStream({ seed, stage: Stage.LatentCounts, temperatureIndex: t, row });
        params.coupledCounts.sampleRow(probs, i, stream, requests, i * C);
      }
      const written = selectTags(
        taxonomy,
        params.selection,
        probs,
        i,
        requests.subarray(i * C, (i + 1) * C),
        EMPTY,
        0,
        buffers.scratch,
        buffers.selected,
        0,
        params.selection === 'sample' ? selectionStream(seed, chunk, Mode.latent, row) : undefined,
      );
      builder.push(
        {
          mode: Mode.latent,
          temperatureIndex: chunk.temperatureIndex,
          temperature: chunk.temperature,
          rowIndex: row,
          sourceId: null,
          seedTags: EMPTY,
          generatedTags: buffers.selected,
          originalTags: EMPTY,
        },
        written,
      );
    }
    yield builder.finish();
  }
}
