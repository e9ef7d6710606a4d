// Wall time of each stage of a run, read from its workflow history (shared by the benches).
import type { Client } from '@temporalio/client';

/**
 * [stage, ms] per completed activity of the run's own history, in completion order, plus
 * `generate (children)`: from the first temperature child started to the last completed.
 */
export async function stageSpans(client: Client, workflowId: string): Promise<[string, number][]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const scheduled = new Map<string, { name: string; at: number }>();
  const spans: [string, number][] = [];
  let first: number | undefined;
  let childrenFrom: number | undefined;
  let childrenTo = 0;
  let reported = false;
  for (const e of history.events ?? []) {
    const at = ms(e.eventTime);
    first ??= at;
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) scheduled.set(String(e.eventId), { name: sched.activityType?.name ?? '?', at });
    const done = e.activityTaskCompletedEventAttributes;
    const s = done && scheduled.get(String(done.scheduledEventId));
    if (s) spans.push([s.name, at - s.at]);
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) childrenFrom ??= at;
    if (e.childWorkflowExecutionCompletedEventAttributes) childrenTo = at;
    if (childrenFrom !== undefined && childrenTo && !reported && sched) {
      spans.push(['generate (children)', childrenTo - childrenFrom]);
      reported = true;
    }
    if (e.workflowExecutionCompletedEventAttributes && first !== undefined)
      spans.push(['(workflow, start to end)', at - first]);
  }
  return spans;
}
