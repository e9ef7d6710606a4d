// The worker's own measure of event-loop stalls (activities/event-loop-watch.ts): the largest
// delay while an activity ran, added to its object result.
import { describe, expect, it } from 'vitest';
import {
  STALL_SAMPLE_MS,
  watchEventLoop,
  withEventLoopWatch,
} from '../../activities/event-loop-watch.js';

/** Holds the event loop for about `ms`; returns how long it really did. */
function block(ms: number): number {
  const start = performance.now();
  while (performance.now() - start < ms);
  return performance.now() - start;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withEventLoopWatch', () => {
  it('adds the largest stall to an object result, also one that ends the activity', async () => {
    let blocked = 0;
    const activity = withEventLoopWatch(async function stalls() {
      await sleep(30);
      blocked = block(300);
      return { rows: 3 };
    });
    const result = await activity();
    expect(activity.name).toBe('stalls');
    expect(result.rows).toBe(3);
    expect(result.eventLoopStallMs).toBeGreaterThanOrEqual(blocked - 2 * STALL_SAMPLE_MS);
  });

  it('passes results that are not plain objects as they are', async () => {
    expect(await withEventLoopWatch(async () => null)()).toBeNull();
    expect(await withEventLoopWatch(async () => undefined)()).toBeUndefined();
    expect(await withEventLoopWatch(async () => [1, 2])()).toEqual([1, 2]);
    expect(await withEventLoopWatch(async () => 'done')()).toBe('done');
  });

  it("rethrows the activity's error", async () => {
    const failing = withEventLoopWatch(async () => {
      throw new Error('no');
    });
    await expect(failing()).rejects.toThrow('no');
  });
});

describe('watchEventLoop', () => {
  it('measures only while it runs', async () => {
    const before = block(600); // not counted
    const watch = watchEventLoop();
    await sleep(30);
    const blocked = block(100);
    const stall = await watch.stop();
    expect(stall).toBeGreaterThanOrEqual(blocked - 2 * STALL_SAMPLE_MS);
    expect(stall).toBeLessThan(before);
  });
});
