// Stage 3a: a temperature's tag calibration, before its chunks: the per-tag decoder bias that
// makes selected tag frequencies match the corpus (core/generation/calibrate-tags.ts).
import { type InferenceSettings, loadVaeSession } from '../core/generation/index.js';
import type { CalibrationSummary } from '../core/run-types.js';
import { maybeFailAtStart } from './instrumentation.js';
import { calibrationKey, ensureTagCalibration, type LatentJob } from './latent-setup.js';
import { artifactStore, runTaxonomy, withModelPack } from './run-inputs.js';

export function makeCalibrateTags(inference: InferenceSettings) {
  return async function calibrateTemperatureTags(job: LatentJob): Promise<CalibrationSummary> {
    maybeFailAtStart('calibrateTags');
    const store = artifactStore(job.artifacts);
    const taxonomy = runTaxonomy(job.taxonomy);
    const runner = await withModelPack(job.modelPack, (packDir) =>
      loadVaeSession({ ...inference, packDir, taxonomy }),
    );
    // A retry, or a rerun of the same configuration, finds it done (prepareRun clears the run
    // folder when the configuration changes).
    const { meanJs } = await ensureTagCalibration(job, runner, taxonomy, store);
    return {
      temperatureIndex: job.chunk.temperatureIndex,
      temperature: job.chunk.temperature,
      key: calibrationKey(job.runId, job.chunk.temperatureIndex),
      meanJsBefore: meanJs[0],
      meanJsAfter: Math.min(...meanJs),
    };
  };
}
