// Cooperative yielding (core/event-loop.ts): a turn of the event loop when the budget is spent.
import { describe, expect, it } from 'vitest';
import { yieldBudget } from '../../core/event-loop.js';

/** Whether a callback queued with setImmediate before `pause()` ran by the time it resolved. */
async function loopTurned(pause: () => Promise<void>): Promise<boolean> {
  let ran = false;
  const immediate = setImmediate(() => {
    ran = true;
  });
  await pause();
  clearImmediate(immediate);
  return ran;
}

describe('yieldBudget', () => {
  it('gives the event loop a turn once the budget has passed', async () => {
    const pause = yieldBudget(0);
    expect(await loopTurned(pause)).toBe(true);
    expect(await loopTurned(pause)).toBe(true);
  });

  it('returns at once while the budget lasts', async () => {
    const pause = yieldBudget(60_000);
    expect(await loopTurned(pause)).toBe(false);
  });

  it('counts the budget from the last turn', async () => {
    const pause = yieldBudget(50);
    const start = performance.now();
    while (performance.now() - start < 60); // spend the budget without yielding
    expect(await loopTurned(pause)).toBe(true);
    expect(await loopTurned(pause)).toBe(false);
  });
});
