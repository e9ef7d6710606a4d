// Heartbeats that keep a lost worker cheap to notice. Every activity is wrapped in
// `withHeartbeats`: while it runs, it heartbeats every HEARTBEAT_EVERY_MS with its latest
// details (those it recorded with `recordHeartbeat`, else the previous attempt's), whatever
// the activity is doing — loading a model session, calibrating, waiting on inference threads.
// So the gpu queue's heartbeat timeout (15 s, workflows/generate-dataset.ts) can be short: a
// healthy worker beats five times or more per timeout; a killed one is noticed within it.
import { Context } from '@temporalio/activity';

/** How often a running activity heartbeats, at the least (ms). */
export const HEARTBEAT_EVERY_MS = 2_000;

const latest = new WeakMap<Context, { details: unknown }>();

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats `details` now; the periodic heartbeats repeat them from then on. */
export function recordHeartbeat(details?: unknown, context = Context.current()): void {
  latest.set(context, { details });
  context.heartbeat(details);
}

/** `activity`, heartbeating every `everyMs` while it runs (outside an activity: as is). */
export function withHeartbeats<A extends unknown[], R>(
  activity: (...args: A) => Promise<R>,
  everyMs = HEARTBEAT_EVERY_MS,
): (...args: A) => Promise<R> {
  const wrapped = async (...args: A): Promise<R> => {
    const context = currentContext();
    if (!context) return activity(...args);
    // A retry keeps what the last attempt recorded until it records its own.
    if (!latest.has(context) && context.info.heartbeatDetails !== undefined)
      latest.set(context, { details: context.info.heartbeatDetails });
    const timer = setInterval(() => {
      try {
        context.heartbeat(latest.get(context)?.details);
      } catch {
        // The activity is finishing: nothing to keep alive.
      }
    }, everyMs);
    try {
      return await activity(...args);
    } finally {
      clearInterval(timer);
    }
  };
  Object.defineProperty(wrapped, 'name', { value: activity.name });
  return wrapped;
}
