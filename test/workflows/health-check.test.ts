import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { taskQueueName } from '../../workflows/task-queues.js';
import { useTestTemporal } from '../helpers/temporal.js';

describe('healthCheck workflow on a real Temporal server', () => {
  const temporal = useTestTemporal();

  it('runs through a real worker on each queue and is COMPLETED in the server history', async () => {
    const cpu = taskQueueName('cpu', temporal.workers.queuePrefix);
    const gpu = taskQueueName('gpu', temporal.workers.queuePrefix);
    const workflowId = `health-${randomUUID()}`;
    const handle = await temporal.client.workflow.start('healthCheck', {
      taskQueue: cpu,
      workflowId,
      args: [[cpu, gpu]],
    });
    const result = await handle.result();
    expect(result.map((r: { taskQueue: string }) => r.taskQueue)).toEqual([cpu, gpu]);
    expect(result[0].pid).toBe(process.pid);
    expect(result[0].device).toBe('cpu');

    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    const history = await handle.fetchHistory();
    const activityEvents =
      history.events?.filter((e) => e.activityTaskCompletedEventAttributes) ?? [];
    expect(activityEvents).toHaveLength(2);
  });

  it('fails, not hangs, when a queue has no worker', async () => {
    const handle = await temporal.client.workflow.start('healthCheck', {
      taskQueue: taskQueueName('cpu', temporal.workers.queuePrefix),
      workflowId: `health-${randomUUID()}`,
      args: [[`nobody-${randomUUID()}`], 2],
    });
    await expect(handle.result()).rejects.toThrow(/Workflow execution failed/);
  });
});
