// The worker's own measure of how long its event loop was blocked while an activity ran. A
// blocked loop delays everything else in the process — heartbeats, cancellation, workflow
// tasks (the SDK's `[TMPRL1104] Workflow task duration exceeded` warning) and the other
// activities — and the workflow history does not show it (the server sees a workflow task
// complete milliseconds after it was handed over, however long it waited here).
//
// Each activity gets its own `monitorEventLoopDelay` histogram, so a stall is counted for every
// activity that was running on this worker when it happened. The largest delay is added to the
// activity's result as `eventLoopStallMs` (core/run-types.ts), for the workflow to report per
// stage in the run's result.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventLoopStall } from '../core/run-types.js';

/** How often the loop is sampled (ms): a stall shorter than this may go unseen. */
export const STALL_SAMPLE_MS = 10;

/** An activity's result with the stall it saw (objects only; other results pass as they are). */
export type Watched<R> = R extends readonly unknown[]
  ? R
  : R extends object
    ? R & EventLoopStall
    : R;

/** Starts measuring; `stop()` ends it and gives the largest delay seen (ms, rounded). */
export function watchEventLoop(): { stop(): Promise<number> } {
  const histogram = monitorEventLoopDelay({ resolution: STALL_SAMPLE_MS });
  histogram.enable();
  return {
    async stop() {
      // A stall is recorded when the sampling timer fires after it: one that ends the activity
      // would be lost without this turn (the overdue sampling timer fires before this one).
      await new Promise((resolve) => setTimeout(resolve, 1));
      histogram.disable();
      // Each sample is the time between two ticks of a STALL_SAMPLE_MS timer; with no tick at
      // all (an activity shorter than one), max is 0.
      const maxMs = histogram.count > 0 ? histogram.max / 1e6 : 0;
      return Math.max(0, Math.round(maxMs - STALL_SAMPLE_MS));
    },
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `activity`, its object result carrying the largest event-loop stall seen while it ran. */
export function withEventLoopWatch<A extends unknown[], R>(
  activity: (...args: A) => Promise<R>,
): (...args: A) => Promise<Watched<R>> {
  const wrapped = async (...args: A): Promise<Watched<R>> => {
    const watch = watchEventLoop();
    let stallMs = 0;
    const result = await activity(...args).finally(async () => {
      stallMs = await watch.stop();
    });
    return (
      isPlainObject(result) ? { ...result, eventLoopStallMs: stallMs } : result
    ) as Watched<R>;
  };
  Object.defineProperty(wrapped, 'name', { value: activity.name });
  return wrapped;
}
