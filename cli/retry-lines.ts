// One line per retried activity attempt, for `tagflow run`'s terminal: read from the pending
// activities of the run's workflow and of its running children (describe), so the retries the
// server schedules are visible while they wait —
//   publish: attempt 3 failed: Hugging Face Hub unreachable … (ECONNREFUSED …); retrying in 8 s
import type { Client } from '@temporalio/client';

/** The parts of a pending activity (DescribeWorkflowExecutionResponse) a retry line needs. */
export interface PendingActivity {
  activityId?: string | null;
  activityType?: { name?: string | null } | null;
  attempt?: number | null;
  maximumAttempts?: number | null;
  lastFailure?: FailureLike | null;
  nextAttemptScheduleTime?: { seconds?: unknown; nanos?: number | null } | null;
}

interface FailureLike {
  message?: string | null;
  cause?: FailureLike | null;
}

/** The most specific message of a failure chain. */
function failureMessage(failure: FailureLike): string {
  let message = failure.message ?? '';
  for (let f = failure.cause; f; f = f.cause) if (f.message) message = f.message;
  return message.split('\n')[0];
}

/** The line for an activity waiting to be retried, or undefined (first attempt, or running). */
export function retryLine(activity: PendingActivity, now = Date.now()): string | undefined {
  const attempt = activity.attempt ?? 1;
  if (attempt < 2 || !activity.lastFailure) return undefined;
  const name = activity.activityType?.name ?? 'activity';
  const next = activity.nextAttemptScheduleTime;
  const at = next ? Number(String(next.seconds ?? 0)) * 1000 + (next.nanos ?? 0) / 1e6 : undefined;
  const of = activity.maximumAttempts ? ` of ${activity.maximumAttempts}` : '';
  const when =
    at === undefined ? 'retrying' : `retrying in ${Math.max(0, Math.round((at - now) / 1000))} s`;
  return `${name}: attempt ${attempt - 1}${of} failed: ${failureMessage(activity.lastFailure)}; ${when}`;
}

/** Reports each failed attempt of the run's activities once (`report`), as it is seen. */
export function retryReporter(client: Client, workflowId: string, report: (line: string) => void) {
  const seen = new Set<string>();
  const pending = async (id: string) => {
    const { raw } = await client.workflow.getHandle(id).describe();
    return { activities: raw.pendingActivities ?? [], children: raw.pendingChildren ?? [] };
  };
  return async function poll(): Promise<void> {
    const run = await pending(workflowId);
    const all = run.activities.map((a) => ({ id: workflowId, a }) as const);
    for (const child of run.children.slice(0, 8)) {
      if (!child.workflowId) continue;
      const id = child.workflowId;
      for (const a of (await pending(id)).activities) all.push({ id, a });
    }
    for (const { id, a } of all) {
      const line = retryLine(a as PendingActivity);
      const key = `${id}/${a.activityId}/${a.attempt}`;
      if (line && !seen.has(key)) {
        seen.add(key);
        report(line);
      }
    }
  };
}
