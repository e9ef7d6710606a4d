// Stage 4: tag sets decoded from the prior, z ~ N(0, I), one chunk of rows at one temperature
// per call (see core/generation.ts for the algorithm, chunk-runner.ts for resuming).
import { countSampler } from '../core/count-model.js';
import { batchCount, generateLatentBatches } from '../core/generation.js';
import { type Device, loadVaeSession } from '../core/inference.js';
import type { ChunkJob, ChunkSummary } from '../core/run-types.js';
import { runGenerationChunk } from './chunk-runner.js';
import { maybeFailAtStart } from './instrumentation.js';
import { artifactStore, runCountModel, runTaxonomy } from './run-inputs.js';

export function makeGenerateLatentChunk(device: Device, threads?: number) {
  return async function generateLatentChunk(job: ChunkJob): Promise<ChunkSummary> {
    maybeFailAtStart('generateLatentChunk');
    const store = artifactStore(job.artifacts);
    const taxonomy = runTaxonomy(job.taxonomy);
    const runner = await loadVaeSession({ packDir: job.modelPack, taxonomy, device, threads });
    const counts = countSampler(runCountModel(store, job.runId));
    const result = await runGenerationChunk({
      activity: 'generateLatentChunk',
      store,
      runId: job.runId,
      chunk: job.chunk,
      totalBatches: batchCount(job.chunk, job.batchSize),
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
