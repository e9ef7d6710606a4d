// Cooperative yielding, for CPU work that stays on the event loop's thread because it drives
// objects living there (the inference threads' queue, a session): a long loop awaits `pause()`
// between slices of its work, and `pause()` gives the event loop a turn (timers, heartbeats,
// I/O, workflow tasks) once `everyMs` have passed since the last one. Work that needs nothing
// of the main thread runs on a stage thread instead (activities/stage-threads.ts).
//
// Yielding changes when the work runs, never what it computes.

/** The longest stretch of work between two turns of the event loop, when yielding (ms). */
export const YIELD_EVERY_MS = 20;

/** A `pause()` that yields to the event loop when `everyMs` have passed since it last did. */
export function yieldBudget(everyMs = YIELD_EVERY_MS): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    // setImmediate, not a microtask: the loop runs its timers and I/O before we continue.
    await new Promise<void>((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}
