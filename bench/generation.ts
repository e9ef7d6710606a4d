// Seeded and latent generation stages against their ONNX ceiling, on the real ConceptCaps
// pack (CPU). Run: npx tsx bench/generation.ts [--rounds n] [--threads n]
//
// Ceiling: the model calls alone over the same rows in the same batches (seeded: encode +
// decode per row; latent: decode), inputs prepared beforehand. Stage: the chunk activity's
// real path — generateSeededBatches / generateLatentBatches (seed and ε draws, count
// sampling, top-k selection, Arrow batch building) driven by runGenerationChunk (heartbeats,
// part files at the default checkpoint interval, the chunk file), under
// MockActivityEnvironment. Measurements are interleaved (ceiling, stage, ceiling, stage …) and
// the median of each is reported, so the ratio compares numbers taken side by side on a noisy
// shared machine. "Batches only" is the generator with the real model but no files: the gap to
// "stage" is the chunk runner's I/O.
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runGenerationChunk } from '../activities/chunk-runner.js';
import { LocalArtifactStore } from '../core/artifact-store.js';
import { readCatalogue } from '../core/catalogue.js';
import { DEFAULT_CHECKPOINT_SECONDS } from '../core/config.js';
import { countSampler, fitCountModel, sampleCounts } from '../core/count-model.js';
import {
  batchCount,
  type ChunkSpec,
  generateLatentBatches,
  generateSeededBatches,
} from '../core/generation.js';
import { clearVaeSessionCache, loadVaeSession } from '../core/inference.js';
import { chunkKey, type GenerationMode } from '../core/plan.js';
import { RowStream, Stage } from '../core/rng.js';
import { readTagCorpus } from '../core/tag-corpus.js';
import { loadTaxonomy } from '../core/taxonomy.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';
import { conceptcapsPackDir, tempDir } from '../test/helpers/pipeline.js';

const BATCH = 2048;
const TEMPERATURES = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];
/** Seeded chunks per measurement: each is the whole catalogue at one temperature. */
const SEEDED_CHUNKS = 4;
const LATENT_ROWS = 4 * BATCH;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '0' },
  },
});
const rounds = Number(args.rounds);
const threads = Number(args.threads);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function rowsPerSecond(rows: number, run: () => Promise<unknown>): Promise<number> {
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
    inferenceThread: false,
  });
  const runner = await loadVaeSession({ packDir, taxonomy, threads, batchSize: BATCH });
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
  const latentZ = new Float32Array(LATENT_ROWS * L);
  for (let r = 0; r < LATENT_ROWS; r++)
    new RowStream({ seed, stage: Stage.Latent, temperatureIndex: 0, row: r }).fillNormal(
      latentZ,
      r * L,
      L,
    );
  const temperatures = new Float32Array(BATCH);

  const seededCeiling = async () => {
    for (let c = 0; c < SEEDED_CHUNKS; c++) {
      temperatures.fill(TEMPERATURES[c % TEMPERATURES.length]);
      for (let first = 0; first < N; first += BATCH) {
        const n = Math.min(BATCH, N - first);
        const { mu } = await raw.encode(seededX.subarray(first * D, (first + n) * D), n);
        await raw.decode(mu, temperatures.subarray(0, n), n);
      }
    }
  };
  const latentCeiling = async () => {
    temperatures.fill(1);
    for (let first = 0; first < LATENT_ROWS; first += BATCH) {
      const n = Math.min(BATCH, LATENT_ROWS - first);
      await raw.decode(latentZ.subarray(first * L, (first + n) * L), temperatures, n);
    }
  };

  const store = new LocalArtifactStore(join(dir, 'artifacts'));
  let runNumber = 0;
  const stageChunk = async (
    mode: GenerationMode,
    temperatureIndex: number,
    rowStart: number,
    rowEnd: number,
    runId: string,
  ) => {
    const temperature = TEMPERATURES[temperatureIndex];
    const spec: ChunkSpec = { temperatureIndex, temperature, rowStart, rowEnd };
    const common = {
      runner,
      latentDim: L,
      taxonomy,
      seed,
      chunk: spec,
      batchSize: BATCH,
      selection: 'topk' as const,
    };
    await new MockActivityEnvironment().run(() =>
      runGenerationChunk({
        activity: `bench-${mode}`,
        store,
        runId,
        chunk: { ...spec, mode, key: chunkKey(mode, temperatureIndex, rowStart, rowEnd) },
        totalBatches: batchCount(spec, BATCH),
        checkpointSeconds: DEFAULT_CHECKPOINT_SECONDS,
        batches: (startBatch) =>
          mode === 'seeded'
            ? generateSeededBatches({
                ...common,
                startBatch,
                catalogue,
                counts: seededCounts,
                seedCategories,
              })
            : generateLatentBatches({ ...common, startBatch, counts }),
      }),
    );
  };
  // The same batches without the chunk runner's files: separates generation from file I/O.
  const drain = async (batches: AsyncIterable<unknown>) => {
    for await (const _ of batches);
  };
  const seededBatchesOnly = async () => {
    for (let c = 0; c < SEEDED_CHUNKS; c++) {
      const temperatureIndex = c % TEMPERATURES.length;
      await drain(
        generateSeededBatches({
          runner,
          latentDim: L,
          taxonomy,
          seed,
          chunk: {
            temperatureIndex,
            temperature: TEMPERATURES[temperatureIndex],
            rowStart: 0,
            rowEnd: N,
          },
          batchSize: BATCH,
          selection: 'topk',
          catalogue,
          counts: seededCounts,
          seedCategories,
        }),
      );
    }
  };
  const latentBatchesOnly = () =>
    drain(
      generateLatentBatches({
        runner,
        latentDim: L,
        taxonomy,
        seed,
        chunk: { temperatureIndex: 2, temperature: 1, rowStart: 0, rowEnd: LATENT_ROWS },
        batchSize: BATCH,
        selection: 'topk',
        counts,
      }),
    );
  const seededStage = async () => {
    const runId = `seeded-${runNumber++}`;
    for (let c = 0; c < SEEDED_CHUNKS; c++)
      await stageChunk('seeded', c % TEMPERATURES.length, 0, N, runId);
    rmSync(join(dir, 'artifacts', runId), { recursive: true, force: true });
  };
  const latentStage = async () => {
    const runId = `latent-${runNumber++}`;
    await stageChunk('latent', 2, 0, LATENT_ROWS, runId);
    rmSync(join(dir, 'artifacts', runId), { recursive: true, force: true });
  };

  const seededRows = SEEDED_CHUNKS * N;
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
    measured.seededCeiling.push(await rowsPerSecond(seededRows, seededCeiling));
    measured.seededBatches.push(await rowsPerSecond(seededRows, seededBatchesOnly));
    measured.seeded.push(await rowsPerSecond(seededRows, seededStage));
    measured.latentCeiling.push(await rowsPerSecond(LATENT_ROWS, latentCeiling));
    measured.latentBatches.push(await rowsPerSecond(LATENT_ROWS, latentBatchesOnly));
    measured.latent.push(await rowsPerSecond(LATENT_ROWS, latentStage));
  }

  const k = (v: number) => `${(v / 1000).toFixed(1)}k`;
  console.log(
    `ConceptCaps pack (D=${D}, L=${L}, ${C} categories), batch ${BATCH}, median of ${rounds} interleaved rounds; ` +
      `threads ${threads || `default (${availableParallelism()} cores)`}; ` +
      `seeded ${seededRows} rows (${SEEDED_CHUNKS} chunks × ${N}), latent ${LATENT_ROWS} rows per round`,
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
