import { describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../workflows/concurrency.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('mapWithConcurrency', () => {
  it('never has more than `limit` calls in flight, and returns results in item order', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);
    const results = await mapWithConcurrency(items, 3, async (item, index) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Later items finish first: order of results must not follow completion order.
      await new Promise((r) => setTimeout(r, 20 - item));
      inFlight--;
      return `${item}@${index}`;
    });
    expect(peak).toBe(3);
    expect(results).toEqual(items.map((i) => `${i}@${i}`));
  });

  it('starts calls in item order', async () => {
    const started: number[] = [];
    await mapWithConcurrency([5, 4, 3, 2, 1], 2, async (item) => {
      started.push(item);
      await tick();
    });
    expect(started).toEqual([5, 4, 3, 2, 1]);
  });

  it('handles an empty list and a limit below one', async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithConcurrency([1, 2, 3], 0, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await tick();
      inFlight--;
      return x * 2;
    });
    expect(out).toEqual([2, 4, 6]);
    expect(peak).toBe(1);
  });

  it('rejects when a call fails', async () => {
    await expect(
      mapWithConcurrency([1, 2, 3], 2, async (x) => {
        if (x === 2) throw new Error('chunk 2 failed');
        return x;
      }),
    ).rejects.toThrow('chunk 2 failed');
  });
});
