import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_PREFIX, taskQueueName } from '../../workflows/task-queues.js';

describe('taskQueueName', () => {
  it('puts the queue kind after the prefix, so deployments on one namespace stay apart', () => {
    expect(taskQueueName('cpu', 'staging')).toBe('staging-cpu');
    expect(taskQueueName('gpu', 'staging')).toBe('staging-gpu');
    expect(taskQueueName('cpu', 'a')).not.toBe(taskQueueName('cpu', 'b'));
  });

  it('uses the default prefix when none is given', () => {
    expect(taskQueueName('gpu')).toBe(`${DEFAULT_QUEUE_PREFIX}-gpu`);
    expect(DEFAULT_QUEUE_PREFIX).toBe('tagflow');
  });
});
