// Wall time of each stage of a run, read from its workflow history and its children's (shared
// by the benches): what the server recorded, not what a process says about itself.
import type { Client } from '@temporalio/client';

/** One activity type of a run: how many ran, their span and their summed run time. */
export interface StageTime {
  stage: string;
  activities: number;
  /** From the first one scheduled to the last one completed. */
  wallMs: number;
  /** Started to completed, summed over the activities (their attempts' last runs). */
  busyMs: number;
}

type EventTime = { seconds?: unknown; nanos?: number | null } | null | undefined;
const ms = (t: EventTime) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

interface Span {
  name: string;
  scheduled: number;
  started?: number;
  completed?: number;
}

async function activitySpans(client: Client, workflowId: string): Promise<Span[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const byEvent = new Map<string, Span>();
  const spans: Span[] = [];
  const children: string[] = [];
  for (const e of history.events ?? []) {
    const at = ms(e.eventTime);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const span = { name: scheduled.activityType?.name ?? '?', scheduled: at };
      byEvent.set(String(e.eventId), span);
      spans.push(span);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const span = byEvent.get(String(started.scheduledEventId));
      if (span) span.started = at;
    }
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      const span = byEvent.get(String(completed.scheduledEventId));
      if (span) span.completed = at;
    }
    const child = e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId;
    if (child) children.push(child);
  }
  for (const child of children) spans.push(...(await activitySpans(client, child)));
  return spans;
}

/**
 * The run's stages in the order they began: each activity type (children's included), then
 * `generate (all chunks)` — first chunk scheduled to last chunk completed — and
 * `(workflow)`, start to completion of the run's workflow.
 */
export async function stageTimes(client: Client, workflowId: string): Promise<StageTime[]> {
  const spans = (await activitySpans(client, workflowId)).filter((s) => s.completed);
  const stages = new Map<string, StageTime & { first: number; last: number }>();
  for (const s of spans) {
    const stage = stages.get(s.name) ?? {
      stage: s.name,
      activities: 0,
      wallMs: 0,
      busyMs: 0,
      first: s.scheduled,
      last: s.completed!,
    };
    stage.activities++;
    stage.busyMs += s.completed! - (s.started ?? s.scheduled);
    stage.first = Math.min(stage.first, s.scheduled);
    stage.last = Math.max(stage.last, s.completed!);
    stage.wallMs = stage.last - stage.first;
    stages.set(s.name, stage);
  }
  const ordered = [...stages.values()].sort((a, b) => a.first - b.first);
  const chunks = ordered.filter((s) => /Chunk$/.test(s.stage));
  const out: StageTime[] = ordered.map(({ stage, activities, wallMs, busyMs }) => ({
    stage,
    activities,
    wallMs,
    busyMs,
  }));
  if (chunks.length > 1) {
    const first = Math.min(...chunks.map((c) => c.first));
    const last = Math.max(...chunks.map((c) => c.last));
    out.push({
      stage: 'generate (all chunks)',
      activities: chunks.reduce((n, c) => n + c.activities, 0),
      wallMs: last - first,
      busyMs: chunks.reduce((n, c) => n + c.busyMs, 0),
    });
  }
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const end = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (events.length && end)
    out.push({
      stage: '(workflow)',
      activities: spans.length,
      wallMs: ms(end.eventTime) - ms(events[0].eventTime),
      busyMs: 0,
    });
  return out;
}

/**
 * A Markdown table of stage times, one column per run (labelled), seconds; a cell names its
 * activity count when the runs' counts differ.
 */
export function stageTable(runs: { label: string; stages: StageTime[] }[]): string[] {
  const names: string[] = [];
  for (const r of runs) for (const s of r.stages) if (!names.includes(s.stage)) names.push(s.stage);
  const lines = [
    `| stage (activities) | ${runs.map((r) => `${r.label} s`).join(' | ')} |`,
    `| --- | ${runs.map(() => '---:').join(' | ')} |`,
  ];
  for (const name of names) {
    const found = runs.map((r) => r.stages.find((x) => x.stage === name));
    const counts = new Set(found.flatMap((s) => (s ? [s.activities] : [])));
    const cells = found.map((s) => {
      if (!s) return '';
      const wall = (s.wallMs / 1000).toFixed(2);
      return counts.size > 1 && !name.startsWith('(') ? `${wall} (${s.activities})` : wall;
    });
    const label = name.startsWith('(') || counts.size !== 1 ? name : `${name} (${[...counts][0]})`;
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return lines;
}
