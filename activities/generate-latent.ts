// Stage 4: tag sets decoded from the latent space (around corpus rows' posteriors, or N(0, I)), one chunk of rows at one temperature
// per call (see core/generation/generation.ts for the algorithm, chunk-runner.ts for resuming).

import {
  batchCount,
  generateLatentBatches,
  type InferenceSettings,
  loadVaeSession,
} from '../core/generation/index.js';
import type { ChunkJob, ChunkSummary } from '../core/run-types.js';
import { runGenerationChunk } from './chunk-runner.js';
import { maybeFailAtStart } from './instrumentation.js';
import { latentSetup, tagBias } from './latent-setup.js';
import { artifactStore, runTaxonomy, withModelPack } from './run-inputs.js';

export function makeGenerateLatentChunk(inference: InferenceSettings) {
  return async function generateLatentChunk(job: ChunkJob): Promise<ChunkSummary> {
    maybeFailAtStart('generateLatentChunk');
    const store = artifactStore(job.artifacts);
    const taxonomy = runTaxonomy(job.taxonomy);
    const runner = await withModelPack(job.modelPack, (packDir) =>
      loadVaeSession({ ...inference, packDir, taxonomy }),
    );
    const { counts, coupledCounts, prior } = await latentSetup(job, runner, taxonomy, store);
    const bias = await tagBias(job, runner, taxonomy, store);
    const result = await runGenerationChunk({
      activity: 'generateLatentChunk',
      store,
      runId: job.runId,
      chunk: job.chunk,
      totalBatches: batchCount(job.chunk, job.batchSize),
      checkpointSeconds: job.checkpointSeconds ?? 0,
      batches: (startBatch) =>
        generateLatentBatches({
          runner,
          latentDim: runner.meta.latentDim,
          taxonomy,
          seed: job.seed,
          chunk: job.chunk,
          batchSize: job.batchSize,
          selection: job.selection,
          startBatch,
          counts,
          coupledCounts,
          prior,
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
