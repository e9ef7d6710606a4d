// Stage 3: tag sets seeded from catalogue tracks, one chunk of rows at one temperature per
// call (see core/generation/generation.ts for the algorithm, chunk-runner.ts for resuming).
import {
  batchCount,
  generateSeededBatches,
  type InferenceSettings,
  loadVaeSession,
} from '../core/generation/index.js';
import type { ChunkJob, ChunkSummary } from '../core/run-types.js';
import { runGenerationChunk } from './chunk-runner.js';
import { maybeFailAtStart } from './instrumentation.js';
import { tagBias } from './latent-setup.js';
import {
  artifactStore,
  runCatalogue,
  runSeededCounts,
  runTaxonomy,
  withModelPack,
} from './run-inputs.js';

export function makeGenerateSeededChunk(inference: InferenceSettings) {
  return async function generateSeededChunk(job: ChunkJob): Promise<ChunkSummary> {
    maybeFailAtStart('generateSeededChunk');
    const store = artifactStore(job.artifacts);
    const taxonomy = runTaxonomy(job.taxonomy);
    const runner = await withModelPack(job.modelPack, (packDir) =>
      loadVaeSession({ ...inference, packDir, taxonomy }),
    );
    const catalogue = await runCatalogue(store, job.runId, taxonomy);
    const counts = await runSeededCounts(store, job.runId, taxonomy);
    const seedCategories = job.seedCategories.map((c) => taxonomy.categories.indexOf(c));
    const bias = await tagBias(job, runner, taxonomy, store);
    const result = await runGenerationChunk({
      activity: 'generateSeededChunk',
      store,
      runId: job.runId,
      chunk: job.chunk,
      totalBatches: batchCount(job.chunk, job.batchSize),
      checkpointSeconds: job.checkpointSeconds ?? 0,
      batches: (startBatch) =>
        generateSeededBatches({
          runner,
          latentDim: runner.meta.latentDim,
          taxonomy,
          seed: job.seed,
          chunk: job.chunk,
          batchSize: job.batchSize,
          selection: job.selection,
          startBatch,
          catalogue,
          counts,
          seedCategories,
          bias,
          temperatureMode: job.temperatureMode,
        }),
    });
    return {
      key: job.chunk.key,
      rows: result.rows,
      sha256: result.sha256,
      reused: result.reused,
      resumedBatches: result.resumedBatches,
    };
  };
}
