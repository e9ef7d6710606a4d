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
// With z-coupled counts (count-coupling.ts) a latent row's requests are drawn after
// decoding, from the same stream LatentCounts/t/r. Seeded rows keep their stored counts: their
// z comes from the encoder's posterior, which the coupling's calibration does not describe
// (coupling them moved their count histograms by W1 ≈ 0.7, bench/quality-report.ts).
//
// For speed, this thread prepares a batch's rows (stream positions, requests, seeds) and builds
// rows; z or ε draws, model calls and `topk` run where the model runs (VaeSession.generate,
// batch-kernels.mjs), on inference threads by default. Batches run two deep (`pipelined`).
import type { RecordBatch } from 'apache-arrow';
import type { Taxonomy } from '../inputs/index.js';
import { RowStream, Stage, StreamFamily } from '../rng.js';
import { GeneratedRowsBuilder, Mode } from '../rows/index.js';
import type { GeneratedBatch, GenerateRequest } from './batch-kernels.mjs';
import { BatchSelector, type BatchTags } from './batch-selector.js';
import type { CoupledCountSampler } from './count-coupling.js';
import {
  type LatentBuffers,
  LatentInputs,
  type LatentPrior,
  type RowCountSampler,
  type TemperatureMode,
  temperatureSettings,
} from './latent-inputs.js';
import type { SelectionPolicy } from './selection.js';

/** What generation needs from a model: one batch of generation (VaeSession.generate). */
export interface VaeRunner {
  generate(request: GenerateRequest): Promise<GeneratedBatch>;
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
  /** What the temperature does (default `decoder`, the notebook's). */
  temperatureMode?: TemperatureMode;
  /** Per-tag logit bias (tag-calibration.ts); none: the decoder's own probabilities. */
  bias?: Float32Array;
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
  /** z's centres (none: z ~ N(0, T²·I) under `spread`, N(0, I) under `decoder`). */
  prior?: LatentPrior;
}

/** The number of batches a chunk is cut into. */
export function batchCount(chunk: ChunkSpec, batchSize: number): number {
  return Math.ceil((chunk.rowEnd - chunk.rowStart) / batchSize);
}

const EMPTY = new Uint16Array(0);

/** Per-batch buffers: two sets per chunk, one for the batch in the model, one being prepared. */
class BatchBuffers {
  /** Row i's stream state at its first normal (RowStream.writeState), for z or ε. */
  readonly states: Int32Array;
  readonly temperature: Float32Array;
  readonly requests: Uint8Array;
  readonly seeds: Uint16Array;
  readonly seedCounts: Uint8Array;

  constructor(taxonomy: Taxonomy, batchSize: number, maxSeeds: number) {
    this.states = new Int32Array(batchSize * 4);
    this.temperature = new Float32Array(batchSize);
    this.requests = new Uint8Array(batchSize * taxonomy.categories.length);
    this.seeds = new Uint16Array(Math.max(1, batchSize * maxSeeds));
    this.seedCounts = new Uint8Array(batchSize);
  }
}

/** The most rows a batch of the chunk has (buffers are sized to it, not to the batch size). */
function batchRows(chunk: ChunkSpec, batchSize: number): number {
  return Math.max(1, Math.min(batchSize, chunk.rowEnd - chunk.rowStart));
}

/** A batch whose inputs are prepared and whose model call is under way. */
interface InFlight<B = BatchBuffers> {
  first: number;
  n: number;
  buffers: B;
  generated: Promise<GeneratedBatch>;
}

/**
 * Runs a chunk's batches two deep: batch b+1 goes to the model before batch b becomes rows, so
 * this thread's work overlaps the model's. Rows depend only on their own streams: same output.
 */
async function* pipelined<B>(
  chunk: ChunkSpec,
  batchSize: number,
  startBatch: number,
  makeBuffers: () => B,
  launch: (first: number, n: number, buffers: B) => Promise<GeneratedBatch>,
  finish: (batch: InFlight<B>, generated: GeneratedBatch) => RecordBatch,
): AsyncGenerator<RecordBatch> {
  const batches = batchCount(chunk, batchSize);
  const slots: B[] = [];
  const start = (b: number): InFlight<B> => {
    const first = chunk.rowStart + b * batchSize;
    const n = Math.min(batchSize, chunk.rowEnd - first);
    slots[b % 2] ??= makeBuffers();
    const buffers = slots[b % 2];
    const generated = launch(first, n, buffers);
    // Awaited below; this only keeps a batch the consumer abandons from an unhandled rejection.
    generated.catch(() => undefined);
    return { first, n, buffers, generated };
  };
  let next = startBatch < batches ? start(startBatch) : undefined;
  for (let b = startBatch; b < batches; b++) {
    const current = next as InFlight<B>;
    next = b + 1 < batches ? start(b + 1) : undefined;
    yield finish(current, await current.generated);
  }
}

/** Seeded generation of one chunk, one RecordBatch per model batch. */
export function generateSeededBatches(params: SeededParams): AsyncGenerator<RecordBatch> {
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
  const S = seedCategories.length;
  const { tagCategory } = taxonomy;
  const rowStreams = new StreamFamily({
    seed,
    stage: Stage.Seeded,
    temperatureIndex: chunk.temperatureIndex,
  });
  const selector = new BatchSelector(taxonomy, params.selection, seed, chunk, Mode.seeded);
  const stream = new RowStream();
  const { decoderTemperature, spread } = temperatureSettings(
    params.temperatureMode ?? 'decoder',
    chunk.temperature,
  );

  const launch = function launchBatch(first: number, n: number, buffers: BatchBuffers) {
    const { states, temperature, requests, seeds, seedCounts } = buffers;
    for (let i = 0; i < n; i++) {
      const row = first + i;
      rowStreams.seek(stream, row);
      for (let c = 0; c < C; c++) requests[i * C + c] = counts[row * C + c];
      const tags = catalogue.tags[row];
      let s = 0;
      for (const c of seedCategories) {
        // The seed is drawn uniformly from the track's tags of category c, in their order.
        let poolSize = 0;
        for (let k = 0; k < tags.length; k++) if (tagCategory[tags[k]] === c) poolSize++;
        if (poolSize > 1) {
          let pick = stream.int(poolSize);
          let tag = 0;
          for (let k = 0; k < tags.length; k++) {
            if (tagCategory[tags[k]] === c && pick-- === 0) {
              tag = tags[k];
              break;
            }
          }
          seeds[i * S + s++] = tag;
          if (requests[i * C + c] > 0) requests[i * C + c]--;
        }
      }
      seedCounts[i] = s;
      stream.writeState(states, i * 4); // ε continues the row's stream after the seed draws
      temperature[i] = decoderTemperature;
    }
    return runner.generate({
      n,
      latentDim: L,
      inputDim: D,
      temperature: temperature.subarray(0, n),
      states: states.subarray(0, n * 4),
      seeds: { tags: seeds.subarray(0, n * S), counts: seedCounts.subarray(0, n), S },
      ...(spread !== 1 ? { spread } : {}),
      ...(params.bias ? { bias: params.bias } : {}),
      select: selector.remote
        ? { ranges: selector.ranges, requests: requests.subarray(0, n * C) }
        : undefined,
    });
  };

  const finish = function finishBatch({ first, n, buffers }: InFlight, generated: GeneratedBatch) {
    const { requests, seeds, seedCounts } = buffers;
    const selected: BatchTags =
      'tags' in generated
        ? { ...generated, packed: true }
        : selector.select({ probs: generated.probs, n, requests, seeds, seedCounts, S }, first);
    const builder = new GeneratedRowsBuilder(n, 8);
    let from = 0;
    for (let i = 0; i < n; i++) {
      const row = first + i;
      const count = selected.counts[i];
      builder.push(
        {
          mode: Mode.seeded,
          temperatureIndex: chunk.temperatureIndex,
          temperature: chunk.temperature,
          rowIndex: row,
          sourceId: catalogue.ids[row],
          seedTags: seeds.subarray(i * S, i * S + seedCounts[i]),
          generatedTags: selected.tags,
          originalTags: catalogue.tags[row],
        },
        count,
        selected.packed ? from : i * D,
      );
      from += count;
    }
    return builder.finish();
  };

  const rows = batchRows(chunk, batchSize);
  const buffers = () => new BatchBuffers(taxonomy, rows, S);
  return pipelined(chunk, batchSize, params.startBatch ?? 0, buffers, launch, finish);
}

/** Latent generation of one chunk, one RecordBatch per model batch. */
export function generateLatentBatches(params: LatentParams): AsyncGenerator<RecordBatch> {
  const { runner, latentDim, taxonomy, seed, chunk, batchSize, coupledCounts } = params;
  const C = taxonomy.categories.length;
  const D = taxonomy.size;
  const inputs = new LatentInputs({
    taxonomy,
    latentDim,
    seed,
    temperatureIndex: chunk.temperatureIndex,
    temperature: chunk.temperature,
    temperatureMode: params.temperatureMode ?? 'decoder',
    prior: params.prior,
    bias: params.bias,
  });
  const countStreams = inputs.countStreams;
  const selector = new BatchSelector(taxonomy, params.selection, seed, chunk, Mode.latent);
  const stream = new RowStream();
  // With z-coupled counts the requests come after the probabilities: selection stays here.
  const selectThere = selector.remote && !coupledCounts;

  const launch = function launchBatch(first: number, n: number, buffers: LatentBuffers) {
    const request = inputs.fill(first, n, buffers, coupledCounts ? undefined : params.counts);
    return runner.generate({
      ...request,
      select: selectThere
        ? { ranges: selector.ranges, requests: buffers.requests.subarray(0, n * C) }
        : undefined,
    });
  };

  const finish = function finishBatch(
    { first, n, buffers }: InFlight<LatentBuffers>,
    generated: GeneratedBatch,
  ) {
    const { requests } = buffers;
    let selected: BatchTags;
    if ('tags' in generated) selected = { ...generated, packed: true };
    else {
      const { probs } = generated;
      if (coupledCounts) {
        for (let i = 0; i < n; i++)
          coupledCounts.sampleRow(probs, i, countStreams.seek(stream, first + i), requests, i * C);
      }
      selected = selector.select({ probs, n, requests }, first);
    }
    const builder = new GeneratedRowsBuilder(n, 8);
    let from = 0;
    for (let i = 0; i < n; i++) {
      const count = selected.counts[i];
      builder.push(
        {
          mode: Mode.latent,
          temperatureIndex: chunk.temperatureIndex,
          temperature: chunk.temperature,
          rowIndex: first + i,
          sourceId: null,
          seedTags: EMPTY,
          generatedTags: selected.tags,
          originalTags: EMPTY,
        },
        count,
        selected.packed ? from : i * D,
      );
      from += count;
    }
    return builder.finish();
  };

  const rows = batchRows(chunk, batchSize);
  const buffers = () => inputs.buffers(rows);
  return pipelined(chunk, batchSize, params.startBatch ?? 0, buffers, launch, finish);
}
