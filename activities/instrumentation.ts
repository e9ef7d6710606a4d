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
import { ValidationError } from '../core/errors.js';

export class InjectedFault extends Error {
  override name = 'InjectedFault';
}

export interface FaultRule {
  activity: string;
  afterBatches?: number;
}

/** Parses a TAGFLOW_FAULTS value; a malformed entry is refused rather than never firing. */
export function parseFaultRules(spec: string | undefined): FaultRule[] {
  if (!spec?.trim()) return [];
  return spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^([A-Za-z]+|\*)(?:@(\d+))?$/.exec(entry);
      if (!match) {
        throw new ValidationError(
          `TAGFLOW_FAULTS: "${entry}" is not an activity name, "*", or either with @<batches>`,
        );
      }
      return {
        activity: match[1],
        afterBatches: match[2] === undefined ? undefined : Number(match[2]),
      };
    });
}

function ruleFor(activity: string): FaultRule | undefined {
  return parseFaultRules(process.env.TAGFLOW_FAULTS).find(
    (r) => r.activity === activity || r.activity === '*',
  );
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
