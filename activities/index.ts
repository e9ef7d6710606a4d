// Every activity, built once per worker process around that worker's settings.
import { makeDescribeWorker } from './describe-worker.js';

export interface ActivityDeps {
  /** Inference device this worker was started with (`cpu` or `cuda`). */
  device: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    describeWorker: makeDescribeWorker(deps.device),
  };
}

export type Activities = ReturnType<typeof createActivities>;
