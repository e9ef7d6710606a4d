import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { makeDescribeWorker } from '../../activities/describe-worker.js';
import { inActivity } from '../helpers/demo-activities.js';

describe('describeWorker', () => {
  it('reports the process, its device and the task queue the task came from', async () => {
    const description = await inActivity(makeDescribeWorker('cuda'), [], {
      taskQueue: 'prod-gpu',
    });
    expect(description).toEqual({
      hostname: hostname(),
      pid: process.pid,
      node: process.version,
      taskQueue: 'prod-gpu',
      device: 'cuda',
    });
  });
});
