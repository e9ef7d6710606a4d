// `tagflow doctor`: is the cluster reachable, and does a worker answer on each queue?
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import type { WorkerDescription } from '../activities/describe-worker.js';
import { taskQueueName } from '../workflows/task-queues.js';
import { withTemporal } from './temporal-session.js';

export function doctorCommand(print: (line: string) => void): Command {
  return new Command('doctor')
    .description('check the Temporal connection and that workers serve the cpu and gpu queues')
    .option('--wait <seconds>', 'how long to wait for a worker on each queue', '10')
    .action(async (options: { wait: string }) => {
      await withTemporal(async ({ client, settings, embedded }) => {
        print(
          `temporal: ${settings.address} (namespace ${settings.namespace}${embedded ? ', embedded dev server' : ''})`,
        );
        const queues = [taskQueueName('cpu'), taskQueueName('gpu')];
        const workers: WorkerDescription[] = await client.workflow.execute('healthCheck', {
          taskQueue: queues[0],
          workflowId: `tagflow-doctor-${randomUUID()}`,
          args: [queues, Number(options.wait)],
        });
        for (const w of workers)
          print(
            `  ${w.taskQueue}: worker pid ${w.pid} on ${w.hostname} (node ${w.node}, device ${w.device})`,
          );
      });
    });
}
