// Seeded and latent generation stages against their ONNX ceiling, on the real ConceptCaps
// pack (CPU). Run: npx tsx bench/generation.ts [--rounds n] [--threads n] [--concurrency n]
// [--inference-threads n] [--batch n]
//
// The work: the notebook's job under the default plan, per mode 7 chunks (one per
// temperature) of N = 2,041 rows.
// Ceiling: the model calls alone over the same rows in the same batches (seeded: encode +
// decode per row; latent: decode), inputs prepared beforehand, one call after another, with
// onnxruntime in process on all cores: raw batched ONNX at its fastest here.
// Stage: the chunk activity's real path, as a worker runs it — generateSeededBatches /
// generateLatentBatches (seed draws and count sampling here; ε/z draws, the model and top-k
// selection on the inference threads, VaeSession.generate; Arrow batch building here) driven
// by runGenerationChunk (heartbeats, part files at the default checkpoint interval, the chunk
// file) under MockActivityEnvironment, `--concurrency` chunks at a time (default: the worker's
// inference slots).
// Measurements are interleaved (ceiling, batches, stage, ceiling …) and the median of each is
// reported, so the ratio compares numbers taken side by side on a noisy shared machine.
// "Batches only" is the generator with the real model but no files: the gap to "stage" is the
// chunk runner's I/O.
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runGenerationChunk } from '../activities/chunk-runner.js';
import { DEFAULT_CHECKPOINT_SECONDS } from '../core/config.js';
import { countSampler, fitCountModel, sampleCounts } from '../core/counts/index.js';
import {
  batchCount,
  type ChunkSpec,
  clearVaeSessionCache,
  DEFAULT_INFERENCE_THREADS,
  generateLatentBatches,
  generateSeededBatches,
  loadVaeSession,
} from '../core/generation/index.js';
import { loadTaxonomy, readCatalogue, readTagCorpus } from '../core/inputs/index.js';
import { LocalArtifactStore } from '../core/io/index.js';
import { chunkKey, type GenerationMode } from '../core/plan.js';
import { RowStream, Stage } from '../core/rng.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';
import { conceptcapsPackDir, tempDir } from '../test/helpers/pipeline.js';
import { DEFAULT_CONCURRENCY } from '../workers/create-workers.js';

const TEMPERATURES = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];
/**
 * A measurement is the notebook's job under the default plan: seeded, the whole catalogue (N
 * rows) at each of the 7 temperatures; latent, N × 7 rows spread over the temperatures. Each
 * (mode, temperature) is one chunk (N < the default 5,000 rows per chunk) of one batch.
 */
const CHUNKS = TEMPERATURES.length;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '11' },
    threads: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY.gpu) },
    'inference-threads': { type: 'string', default: String(DEFAULT_INFERENCE_THREADS) },
    batch: { type: 'string', default: '2048' },
  },
});
const rounds = Number(args.rounds);
const threads = Number(args.threads);
const concurrency = Number(args.concurrency);
const inferenceThreads = Number(args['inference-threads']);
/** Rows per model call, the stages' and the ceiling's (the product's default: 2,048). */
const BATCH = Number(args.batch);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Each measurement is taken warm and in its own steady state: a pause, the same work once
 * untimed, then the timed run. The ceiling's onnxruntime threads spin for a while after its
 * last call (onnxruntime's default, the fastest): measured right after it, the stages ran
 * about 30 % slower, their CPU taken by that spinning, hence the pause; after a pause, though,
 * the first work runs cold (the ceiling about 10–15 % slower), hence the untimed run, which
 * for the ceiling also leaves its threads spinning for the timed one.
 */
const SETTLE_MS = 200;

async function rowsPerSecond(rows: number, run: () => Promise<unknown>): Promise<number> {
  // The previous stage's chunk files go first, outside the measured time: a stage leaves its
  // files to the next one (a run's cleanup removes them at its end).
  rmSync(join(dir, 'artifacts'), { recursive: true, force: true });
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await run();
  const start = process.hrtime.bigint();
  await run();
  return rows / (Number(process.hrtime.bigint() - start) / 1e9);
}

const dir = tempDir('bench-generation');
try {
  const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
  const packDir = await conceptcapsPackDir();
  // The ceiling: onnxruntime alone, in process, with its own thread count (all cores) unless
  // --threads is given. The stages: the product's session (model on its inference thread).
  const raw = await loadVaeSession({
    packDir,
    taxonomy,
    threads,
    batchSize: BATCH,
    inferenceThreads: 0,
  });
  const runner = await loadVaeSession({
    packDir,
    taxonomy,
    threads,
    inferenceThreads,
    batchSize: BATCH,
  });
  const { inputDim: D, latentDim: L } = runner.meta;
  const C = taxonomy.categories.length;
  const catalogue = await readCatalogue({
    path: conceptcaps('mtg_jamendo_top50tags_cleaned.csv'),
    taxonomy,
  });
  const corpus = await readTagCorpus({ path: conceptcaps('musiccaps_distilled.csv'), taxonomy });
  const model = fitCountModel({
    categories: corpus.categories,
    counts: corpus.counts,
    rows: corpus.rows,
  });
  const seed = 42;
  const seededCounts = sampleCounts(model, {
    n: catalogue.rows,
    seed,
    stage: Stage.SeededCounts,
  });
  const seedCategories = ['genre', 'instrument', 'mood'].map((c) => taxonomy.categories.indexOf(c));
  const counts = countSampler(model);
  const N = catalogue.rows;

  // Ceiling inputs: the catalogue's multi-hot rows and standard-normal z, built beforehand.
  const seededX = new Float32Array(N * D);
  catalogue.tags.forEach((tags, r) => {
    for (const t of tags) seededX[r * D + t] = 1;
  });
  const latentRows = CHUNKS * N;
  const latentZ = new Float32Array(latentRows * L);
  for (let r = 0; r < latentRows; r++)
    new RowStream({ seed, stage: Stage.Latent, temperatureIndex: 0, row: r }).fillNormal(
      latentZ,
      r * L,
      L,
    );
  const temperatures = new Float32Array(BATCH);

  const seededCeiling = async () => {
    for (let c = 0; c < CHUNKS; c++) {
      temperatures.fill(TEMPERATURES[c % TEMPERATURES.length]);
      for (let first = 0; first < N; first += BATCH) {
        const n = Math.min(BATCH, N - first);
        const { mu } = await raw.encode(seededX.subarray(first * D, (first + n) * D), n);
        await raw.decode(mu, temperatures.subarray(0, n), n);
      }
    }
  };
  const latentCeiling = async () => {
    for (let c = 0; c < CHUNKS; c++) {
      temperatures.fill(TEMPERATURES[c]);
      for (let first = 0; first < N; first += BATCH) {
        const n = Math.min(BATCH, N - first);
        const rows = latentZ.subarray((c * N + first) * L, (c * N + first + n) * L);
        await raw.decode(rows, temperatures.subarray(0, n), n);
      }
    }
  };

  const store = new LocalArtifactStore(join(dir, 'artifacts'));
  let runNumber = 0;
  // A stage runs as the worker runs it: its chunks as activities, `concurrency` at a time (the
  // worker's inference slots), so one chunk's JavaScript and files overlap another's model call.
  const inParallel = async (tasks: (() => Promise<unknown>)[]) => {
    let next = 0;
    const lane = async () => {
      while (next < tasks.length) await tasks[next++]();
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
  };
  // Each temperature's chunk: catalogue rows 0…N (seeded), latent rows 0…N of the temperature.
  const chunks = Array.from({ length: CHUNKS }, (_, c) => ({
    temperatureIndex: c,
    rowStart: 0,
    rowEnd: N,
  }));
  type BenchChunk = (typeof chunks)[number];
  const batchesOf = (mode: GenerationMode, c: BenchChunk, startBatch = 0) => {
    const common = {
      runner,
      latentDim: L,
      taxonomy,
      seed,
      chunk: { ...c, temperature: TEMPERATURES[c.temperatureIndex] },
      batchSize: BATCH,
      selection: 'topk' as const,
      startBatch,
    };
    return mode === 'seeded'
      ? generateSeededBatches({ ...common, catalogue, counts: seededCounts, seedCategories })
      : generateLatentBatches({ ...common, counts });
  };
  // The same batches without the chunk runner's files: separates generation from file I/O.
  const batchesOnly = (mode: GenerationMode, chunks: BenchChunk[]) => () =>
    inParallel(
      chunks.map((c) => async () => {
        for await (const _ of batchesOf(mode, c));
      }),
    );
  const stage = (mode: GenerationMode, chunks: BenchChunk[]) => async () => {
    const runId = `${mode}-${runNumber++}`;
    await inParallel(
      chunks.map((c) => () => {
        const spec: ChunkSpec = { ...c, temperature: TEMPERATURES[c.temperatureIndex] };
        const key = chunkKey(mode, c.temperatureIndex, c.rowStart, c.rowEnd);
        return new MockActivityEnvironment().run(() =>
          runGenerationChunk({
            activity: `bench-${mode}`,
            store,
            runId,
            chunk: { ...spec, mode, key },
            totalBatches: batchCount(spec, BATCH),
            checkpointSeconds: DEFAULT_CHECKPOINT_SECONDS,
            batches: (startBatch) => batchesOf(mode, c, startBatch),
          }),
        );
      }),
    );
  };
  const seededBatchesOnly = batchesOnly('seeded', chunks);
  const latentBatchesOnly = batchesOnly('latent', chunks);
  const seededStage = stage('seeded', chunks);
  const latentStage = stage('latent', chunks);

  const rowsPerMode = CHUNKS * N;
  const measured: Record<string, number[]> = {
    seededCeiling: [],
    seededBatches: [],
    seeded: [],
    latentCeiling: [],
    latentBatches: [],
    latent: [],
  };
  // Warm-up: thread pools, first-run allocations, JIT.
  await seededCeiling();
  await seededStage();
  await latentCeiling();
  await latentStage();
  for (let r = 0; r < rounds; r++) {
    measured.seededCeiling.push(await rowsPerSecond(rowsPerMode, seededCeiling));
    measured.seededBatches.push(await rowsPerSecond(rowsPerMode, seededBatchesOnly));
    measured.seeded.push(await rowsPerSecond(rowsPerMode, seededStage));
    measured.latentCeiling.push(await rowsPerSecond(rowsPerMode, latentCeiling));
    measured.latentBatches.push(await rowsPerSecond(rowsPerMode, latentBatchesOnly));
    measured.latent.push(await rowsPerSecond(rowsPerMode, latentStage));
  }

  const k = (v: number) => `${(v / 1000).toFixed(1)}k`;
  console.log(
    `ConceptCaps pack (D=${D}, L=${L}, ${C} categories), batch ${BATCH}, median of ${rounds} interleaved rounds; ` +
      `threads ${threads || `default (${availableParallelism()} cores)`}; ` +
      `${rowsPerMode} rows per mode and round (${CHUNKS} chunks × ${N}), ${concurrency} chunks at a time, ${inferenceThreads} inference threads`,
  );
  const table = [
    ['seeded', 'seededCeiling', 'seededBatches', 'seeded'],
    ['latent', 'latentCeiling', 'latentBatches', 'latent'],
  ] as const;
  console.log(
    '| stage  | ONNX ceiling rows/s | batches only rows/s | ratio | stage rows/s | ratio |',
  );
  console.log(
    '|--------|--------------------:|--------------------:|------:|-------------:|------:|',
  );
  for (const [name, ceilingKey, batchesKey, stageKey] of table) {
    const ceiling = median(measured[ceilingKey]);
    const batches = median(measured[batchesKey]);
    const stage = median(measured[stageKey]);
    console.log(
      `| ${name} | ${k(ceiling).padStart(19)} | ${k(batches).padStart(19)} | ${(batches / ceiling).toFixed(2).padStart(5)} | ${k(stage).padStart(12)} | ${(stage / ceiling).toFixed(2).padStart(5)} |`,
    );
  }
  for (const [name, values] of Object.entries(measured))
    console.log(`  ${name}: ${values.map(k).join(' ')}`);
} finally {
  await clearVaeSessionCache();
  rmSync(dir, { recursive: true, force: true });
}
