// Every activity, built once per worker process around that worker's settings. Each stage
// lives in its own file, named after the stage.
import type { Device } from '../core/inference.js';
import { cleanupRun } from './cleanup-run.js';
import { dedupe } from './dedupe.js';
import { makeDescribeWorker } from './describe-worker.js';
import { evaluate } from './evaluate.js';
import { fitCounts } from './fit-counts.js';
import { makeGenerateLatentChunk } from './generate-latent.js';
import { makeGenerateSeededChunk } from './generate-seeded.js';
import { loadInputs } from './load-inputs.js';
import { prepareRun } from './prepare-run.js';
import { publish } from './publish.js';
import { split } from './split.js';
import { train } from './train.js';

export interface ActivityDeps {
  /** Inference device this worker was started with. */
  device: Device;
  /** onnxruntime threads per session (default: all cores but one, core/inference.ts). */
  threads?: number;
  /** Inference threads per model session (default DEFAULT_INFERENCE_THREADS; 0: in process). */
  inferenceThreads?: number;
}

export function createActivities(deps: ActivityDeps) {
  return {
    describeWorker: makeDescribeWorker(deps.device),
    prepareRun,
    train,
    loadInputs,
    fitCounts,
    generateSeededChunk: makeGenerateSeededChunk(deps),
    generateLatentChunk: makeGenerateLatentChunk(deps),
    dedupe,
    split,
    evaluate,
    publish,
    cleanupRun,
  };
}

export type Activities = ReturnType<typeof createActivities>;
