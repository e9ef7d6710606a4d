import { proxyActivities } from '@temporalio/workflow';
import type { WorkerDescription } from '../activities/describe-worker.js';
import type { Activities } from '../activities/index.js';

/**
 * Asks one worker on each task queue to describe itself. Fails when a queue has no worker
 * polling it within `waitSeconds`.
 */
export async function healthCheck(
  taskQueues: string[],
  waitSeconds = 30,
): Promise<WorkerDescription[]> {
  return Promise.all(
    taskQueues.map((taskQueue) =>
      proxyActivities<Activities>({
        taskQueue,
        scheduleToStartTimeout: `${waitSeconds} seconds`,
        startToCloseTimeout: '30 seconds',
        retry: { maximumAttempts: 1 },
      }).describeWorker(),
    ),
  );
}
