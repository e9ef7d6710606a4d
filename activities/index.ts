// Every activity, built once per worker process around that worker's settings. Each stage
// lives in its own file, named after the stage.
import type { Device, InferenceSettings } from '../core/generation/index.js';
import { makeCalibrateTags } from './calibrate-tags.js';
import { cleanupRun } from './cleanup-run.js';
import { coverTags } from './cover-tags.js';
import { dedupe } from './dedupe.js';
import { makeDescribeWorker } from './describe-worker.js';
import { evaluate } from './evaluate.js';
import { type Watched, withEventLoopWatch } from './event-loop-watch.js';
import { fitCounts } from './fit-counts.js';
import { makeGenerateConcepts } from './generate-concepts.js';
import { makeGenerateCoverage } from './generate-coverage.js';
import { makeGenerateLatentChunk } from './generate-latent.js';
import { makeGenerateSeededChunk } from './generate-seeded.js';
import { withHeartbeats } from './heartbeat.js';
import { loadInputs } from './load-inputs.js';
import { prepareRun } from './prepare-run.js';
import { publish } from './publish.js';
import { split } from './split.js';
import { train } from './train.js';

/** The worker's inference settings (core/generation/inference.ts), its device required. */
export interface ActivityDeps extends InferenceSettings {
  /** Inference device this worker was started with. */
  device: Device;
}

/** An activity as the worker runs it: its object result carries `eventLoopStallMs`. */
type WatchedActivities<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Promise<Watched<R>>
    : never;
};

/**
 * Every activity heartbeats while it runs (activities/heartbeat.ts) and reports the largest
 * event-loop stall it saw (activities/event-loop-watch.ts).
 */
export function createActivities(deps: ActivityDeps) {
  const activities = {
    describeWorker: makeDescribeWorker(deps.device),
    prepareRun,
    train,
    loadInputs,
    fitCounts,
    calibrateTags: makeCalibrateTags(deps),
    generateSeededChunk: makeGenerateSeededChunk(deps),
    generateLatentChunk: makeGenerateLatentChunk(deps),
    generateConcepts: makeGenerateConcepts(deps),
    dedupe,
    coverTags,
    generateCoverage: makeGenerateCoverage(deps),
    split,
    evaluate,
    publish,
    cleanupRun,
  };
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      withHeartbeats(withEventLoopWatch(activity as (...args: unknown[]) => Promise<unknown>)),
    ]),
  ) as WatchedActivities<typeof activities>;
}

export type Activities = ReturnType<typeof createActivities>;
