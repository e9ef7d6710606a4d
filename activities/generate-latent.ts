// Stage 4: tag sets decoded from the prior, z ~ N(0, I), one chunk of rows at one temperature
// per call (see core/generation/generation.ts for the algorithm, chunk-runner.ts for resuming).

import { countSampler } from '../core/counts/index.js';
import {
  batchCount,
  type CountCouplingCalibration,
  calibrateCountCoupling,
  coupledCountSampler,
  generateLatentBatches,
  type InferenceSettings,
  loadVaeSession,
} from '../core/generation/index.js';
import type { ChunkJob, ChunkSummary } from '../core/run-types.js';
import { DECODER_FILE } from '../models/model-pack.js';
import { runGenerationChunk } from './chunk-runner.js';
import { maybeFailAtStart } from './instrumentation.js';
import { artifactStore, runCountModel, runTaxonomy } from './run-inputs.js';

// Calibrations are a pure function of (decoder, seed, temperature index, temperature): every
// chunk of a temperature reuses one. 512 KiB each; the oldest go first.
const calibrations = new Map<string, Promise<CountCouplingCalibration>>();
const MAX_CALIBRATIONS = 64;

function cachedCalibration(
  key: string,
  make: () => Promise<CountCouplingCalibration>,
): Promise<CountCouplingCalibration> {
  let entry = calibrations.get(key);
  if (!entry) {
    if (calibrations.size >= MAX_CALIBRATIONS)
      calibrations.delete(calibrations.keys().next().value as string);
    entry = make();
    calibrations.set(key, entry);
    entry.catch(() => calibrations.delete(key));
  }
  return entry;
}

export function makeGenerateLatentChunk(inference: InferenceSettings) {
  return async function generateLatentChunk(job: ChunkJob): Promise<ChunkSummary> {
    maybeFailAtStart('generateLatentChunk');
    const store = artifactStore(job.artifacts);
    const taxonomy = runTaxonomy(job.taxonomy);
    const runner = await loadVaeSession({ ...inference, packDir: job.modelPack, taxonomy });
    const model = runCountModel(store, job.runId);
    const counts = countSampler(model);
    const { temperatureIndex, temperature } = job.chunk;
    const coupledCounts =
      job.countCoupling === 'coupled'
        ? coupledCountSampler({
            model,
            taxonomy,
            calibration: await cachedCalibration(
              JSON.stringify([
                runner.meta.files[DECODER_FILE].sha256,
                job.seed,
                temperatureIndex,
                temperature,
              ]),
              () =>
                calibrateCountCoupling({
                  runner,
                  latentDim: runner.meta.latentDim,
                  taxonomy,
                  seed: job.seed,
                  temperatureIndex,
                  temperature,
                }),
            ),
          })
        : undefined;
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
