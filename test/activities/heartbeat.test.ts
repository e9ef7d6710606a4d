// Every activity heartbeats while it runs, repeating its latest details (activities/heartbeat.ts).
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { recordHeartbeat, withHeartbeats } from '../../activities/heartbeat.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withHeartbeats', () => {
  it('heartbeats periodically with the details last recorded', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const activity = withHeartbeats(async () => {
      await sleep(70);
      recordHeartbeat({ batchesDone: 3 });
      await sleep(70);
      return 'done';
    }, 20);
    expect(await env.run(activity)).toBe('done');
    expect(beats.length).toBeGreaterThan(4);
    expect(beats.at(-1)).toEqual({ batchesDone: 3 });
    const count = beats.length;
    await sleep(60);
    expect(beats.length).toBe(count); // stopped with the activity
  });

  it("repeats the previous attempt's details until the retry records its own", async () => {
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { batchesDone: 5 } });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await env.run(withHeartbeats(() => sleep(60), 20));
    expect(beats.length).toBeGreaterThan(0);
    expect(beats.every((b) => JSON.stringify(b) === '{"batchesDone":5}')).toBe(true);
  });

  it('runs as is outside an activity', async () => {
    expect(await withHeartbeats(async () => 7)()).toBe(7);
  });
});
