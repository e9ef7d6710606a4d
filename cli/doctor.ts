// `tagflow doctor`: is the cluster reachable, and does a worker answer on each queue?
import { randomUUID } from 'node:crypto';
import type { WorkflowFailedError } from '@temporalio/client';
import { Command } from 'commander';
import type { WorkerDescription } from '../activities/describe-worker.js';
import { ValidationError } from '../core/errors.js';
import { DEFAULT_QUEUE_PREFIX, taskQueueName } from '../workflows/task-queues.js';
import { withTemporal } from './temporal-session.js';

/** The queue a failed health check waited on in vain. */
async function silentQueue(err: WorkflowFailedError, queues: string[]): Promise<string> {
  const { ActivityFailure } = await import('@temporalio/client');
  if (err.cause instanceof ActivityFailure) {
    // healthCheck schedules one describeWorker per queue, in order: activity ids 1, 2, …
    const index = Number(err.cause.activityId) - 1;
    if (queues[index]) return queues[index];
  }
  return queues[0];
}

export function doctorCommand(print: (line: string) => void): Command {
  return new Command('doctor')
    .description('check the Temporal connection and that workers serve the cpu and gpu queues')
    .option('--wait <seconds>', 'how long to wait for a worker on each queue', '10')
    .option(
      '--queue-prefix <prefix>',
      'task-queue prefix of the workers (default tagflow, or TAGFLOW_QUEUE_PREFIX)',
    )
    .action(async (options: { wait: string; queuePrefix?: string }) => {
      const queuePrefix =
        options.queuePrefix ?? process.env.TAGFLOW_QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX;
      await withTemporal(async ({ client, settings, embedded }) => {
        print(
          `temporal: ${settings.address} (namespace ${settings.namespace}${embedded ? ', embedded dev server' : ''})`,
        );
        if (embedded && queuePrefix !== DEFAULT_QUEUE_PREFIX) {
          throw new ValidationError(
            '--queue-prefix needs a cluster (TEMPORAL_ADDRESS); the embedded worker serves the default queues',
          );
        }
        const queues = [taskQueueName('cpu', queuePrefix), taskQueueName('gpu', queuePrefix)];
        const wait = Number(options.wait);
        let workers: WorkerDescription[];
        try {
          workers = await client.workflow.execute('healthCheck', {
            taskQueue: queues[0],
            workflowId: `tagflow-doctor-${randomUUID()}`,
            args: [queues, wait],
            // With no worker on the first queue the check itself never starts: bound it.
            workflowExecutionTimeout: `${wait + 5} seconds`,
          });
        } catch (err) {
          const { WorkflowFailedError } = await import('@temporalio/client');
          if (!(err instanceof WorkflowFailedError)) throw err;
          throw new ValidationError(
            `no worker answered on ${await silentQueue(err, queues)} within ${wait} s`,
          );
        }
        for (const w of workers)
          print(
            `  ${w.taskQueue}: worker pid ${w.pid} on ${w.hostname} (node ${w.node}, device ${w.device})`,
          );
      });
    });
}
