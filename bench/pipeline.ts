// The notebook-sized ConceptCaps run end to end through Temporal: a dev server already up,
// workers already running (CPU only), the real imported pack and catalogue, the notebook's
// temperatures, counts fitted on the reference corpus; from `workflow.start` to the published
// folder. The notebook's own loop needs about 20 s for the same job on this machine
// (../shared/conceptcaps/README.md); target ≥ 10× faster.
//
//   npx tsx bench/pipeline.ts [--runs 3] [--notebook-seconds 20]
//
// Run 1 meets a cold worker (model session, inputs parsed, workflow bundle's first tasks);
// later runs use new run names, so every stage runs again, on a warm worker — the normal state
// of a long-lived worker. The per-stage table comes from TAGFLOW_ACTIVITY_LOG.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { RunInput, RunResult } from '../core/run-types.js';
import { startDevServer } from '../infra/dev-server.js';
import { conceptcapsConfig } from '../test/helpers/pipeline.js';
import { createWorkers } from '../workers/create-workers.js';
import { runWorkflowId } from '../workflows/generate-dataset.js';
import { taskQueueName } from '../workflows/task-queues.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'notebook-seconds': { type: 'string', default: '20' },
    timeline: { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(args.runs));
const notebookSeconds = Number(args['notebook-seconds']);

const dir = mkdtempSync(join(tmpdir(), 'tagflow-bench-pipeline-'));
const activityLog = join(dir, 'activities.jsonl');
process.env.TAGFLOW_ACTIVITY_LOG = activityLog;
process.env.TAGFLOW_LOG_LEVEL ??= 'ERROR';

interface LogLine {
  activity: string;
  event: string;
  key?: string;
  at: number;
}

const server = await startDevServer({ dataDir: join(dir, 'temporal') });
const queuePrefix = `bench-${randomUUID().slice(0, 8)}`;
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const workers = await createWorkers({
  connection: { address: server.address, namespace: 'default' },
  queues: ['cpu', 'gpu'],
  device: 'cpu',
  queuePrefix,
  // As embedded mode runs it: one process, inference and the CPU stages overlapping.
  maxConcurrentActivities: { cpu: 2, gpu: 2 },
});
const running = workers.run();

/** Activity and child-workflow events of a run (and its children), in ms from the start. */
async function printTimeline(workflowId: string, started: number): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const names = new Map<string, string>();
  for (const e of history.events ?? []) {
    const at =
      Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
    const t = `${String(at - started).padStart(6)} ms`;
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) {
      names.set(String(e.eventId), sched.activityType?.name ?? '?');
      console.log(`${t}  scheduled ${sched.activityType?.name}`);
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) console.log(`${t}  completed ${names.get(String(done.scheduledEventId))}`);
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child) console.log(`${t}  child ${child.workflowId} initiated`);
    const childDone = e.childWorkflowExecutionCompletedEventAttributes;
    if (childDone) console.log(`${t}  child ${childDone.workflowExecution?.workflowId} completed`);
  }
}

const results: { run: number; seconds: number; rows: number; started: number; ended: number }[] =
  [];
try {
  for (let run = 1; run <= runs; run++) {
    const config = await conceptcapsConfig(`bench-${run}-${randomUUID().slice(0, 6)}`, dir);
    const started = Date.now();
    const result: RunResult = await client.workflow.execute('generateDataset', {
      taskQueue: taskQueueName('cpu', queuePrefix),
      workflowId: runWorkflowId(config.name),
      args: [{ runId: config.name, config, queuePrefix } satisfies RunInput],
    });
    const ended = Date.now();
    if (args.timeline) await printTimeline(runWorkflowId(config.name), started);
    const rows = Object.values(result.splits ?? {}).reduce((a, b) => a + b, 0);
    results.push({ run, seconds: (ended - started) / 1000, rows, started, ended });
  }
} finally {
  await workers.shutdown();
  await running;
  await connection.close();
  await server.stop();
}

const log: LogLine[] = readFileSync(activityLog, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));

/** Busy time per activity type within a run's window (sum over calls; chunks overlap). */
function stageTimes(started: number, ended: number): Map<string, { calls: number; ms: number }> {
  const open = new Map<string, number>();
  const times = new Map<string, { calls: number; ms: number }>();
  for (const line of log.filter((l) => l.at >= started && l.at <= ended)) {
    const id = `${line.activity}:${line.key ?? ''}`;
    if (line.event === 'start') open.set(id, line.at);
    else if (open.has(id)) {
      const t = times.get(line.activity) ?? { calls: 0, ms: 0 };
      t.calls += 1;
      t.ms += line.at - (open.get(id) ?? line.at);
      times.set(line.activity, t);
      open.delete(id);
    }
  }
  return times;
}

console.log(`\nConceptCaps notebook-sized run through Temporal (CPU, ${runs} runs)\n`);
console.log('run  seconds  published rows  vs notebook (~%d s)', notebookSeconds);
for (const r of results) {
  const label = r.run === 1 ? ' (cold worker)' : '';
  console.log(
    `${String(r.run).padStart(3)}  ${r.seconds.toFixed(2).padStart(7)}  ${String(r.rows).padStart(14)}  ${(notebookSeconds / r.seconds).toFixed(1).padStart(6)}×${label}`,
  );
}
const warm = results.slice(1);
if (warm.length) {
  const best = Math.min(...warm.map((r) => r.seconds));
  console.log(
    `\nwarm best ${best.toFixed(2)} s → ${(notebookSeconds / best).toFixed(1)}× the notebook`,
  );
}

for (const r of [results[0], results.at(-1)]) {
  if (!r || (r === results[0] && results.length > 1 && r === results.at(-1))) continue;
  console.log(
    `\nrun ${r.run}: activity busy time (chunks run in parallel, so sums exceed wall time)`,
  );
  for (const [activity, t] of stageTimes(r.started, r.ended))
    console.log(
      `  ${activity.padEnd(24)} ${String(t.calls).padStart(4)} calls ${(t.ms / 1000).toFixed(2).padStart(7)} s`,
    );
}

rmSync(dir, { recursive: true, force: true });
