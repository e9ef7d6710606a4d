// Operational hooks shared by all activities, both off by default:
//
//   TAGFLOW_FAULTS        inject failures to prove retries are harmless: a comma-separated
//                         list of activity names, each optionally `@N` (chunk activities: fail
//                         after writing N batches). A listed activity fails on its first
//                         attempt only; `*` lists every activity. Example:
//                         TAGFLOW_FAULTS=fitCounts,generateSeededChunk@1,publish
//   TAGFLOW_ACTIVITY_LOG  a file that gets one JSON line per activity start and finish
//                         (activity, key, attempt, pid, resumed batches): how tests count
//                         what was computed and what was reused.
import { appendFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';

export class InjectedFault extends Error {
  override name = 'InjectedFault';
}

interface FaultRule {
  activity: string;
  afterBatches?: number;
}

function faultRules(env = process.env): FaultRule[] {
  const spec = env.TAGFLOW_FAULTS?.trim();
  if (!spec) return [];
  return spec.split(',').map((entry) => {
    const [activity, after] = entry.trim().split('@');
    return { activity, afterBatches: after === undefined ? undefined : Number(after) };
  });
}

function ruleFor(activity: string): FaultRule | undefined {
  return faultRules().find((r) => r.activity === activity || r.activity === '*');
}

function firstAttempt(): boolean {
  return Context.current().info.attempt === 1;
}

/** Throws an injected fault at the start of `activity` when configured (first attempt only). */
export function maybeFailAtStart(activity: string): void {
  const rule = ruleFor(activity);
  if (rule && rule.afterBatches === undefined && firstAttempt()) {
    throw new InjectedFault(`injected fault in ${activity} (TAGFLOW_FAULTS), attempt 1`);
  }
}

/** Throws an injected fault once `batchesDone` batches of a chunk are written. */
export function maybeFailAfterBatches(activity: string, batchesDone: number): void {
  const rule = ruleFor(activity);
  if (rule?.afterBatches !== undefined && batchesDone >= rule.afterBatches && firstAttempt()) {
    throw new InjectedFault(
      `injected fault in ${activity} after ${batchesDone} batches (TAGFLOW_FAULTS), attempt 1`,
    );
  }
}

/** Appends a line to TAGFLOW_ACTIVITY_LOG when set. */
export function logActivityEvent(event: Record<string, unknown>): void {
  const file = process.env.TAGFLOW_ACTIVITY_LOG;
  if (!file) return;
  let attempt: number | undefined;
  try {
    attempt = Context.current().info.attempt;
  } catch {
    attempt = undefined;
  }
  appendFileSync(
    file,
    `${JSON.stringify({ ...event, attempt, pid: process.pid, at: Date.now() })}\n`,
  );
}
