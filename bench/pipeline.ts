// The notebook-sized ConceptCaps run end to end through Temporal: a dev server already up,
// workers already running (CPU only), the real imported pack and catalogue, the notebook's
// temperatures, counts fitted on the reference corpus; from `workflow.start` to the published
// folder, in seconds: where the time of a run goes on a warm worker. Speed against the
// notebook is measured side by side by bench/notebook-job.ts (whole processes, the notebook's
// own loop run live); this bench makes no claim against a constant.
//
//   npx tsx bench/pipeline.ts [--runs 3] [--timeline]
//
// Round 1 meets a cold worker (model session, inputs parsed, workflow bundle's first tasks);
// every run has a new name, so every stage runs again, on a warm worker from then on — the
// normal state of a long-lived worker. --timeline prints each run's activity events.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { RunInput, RunResult } from '../core/run-types.js';
import { runWorkflowId } from '../core/run-types.js';
import { startDevServer } from '../infra/dev-server.js';
import { conceptcapsConfig } from '../test/helpers/pipeline.js';
import { createWorkers, DEFAULT_CONCURRENCY } from '../workers/create-workers.js';
import { taskQueueName } from '../workflows/task-queues.js';
import { type StageTime, stageTable, stageTimes } from './run-history.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    timeline: { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(args.runs));

const dir = mkdtempSync(join(tmpdir(), 'tagflow-bench-pipeline-'));
process.env.TAGFLOW_LOG_LEVEL ??= 'ERROR';

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
  maxConcurrentActivities: DEFAULT_CONCURRENCY,
});
const running = workers.run();

/** Activity and child-workflow events of a run (and its children), in ms from the start. */
async function printTimeline(workflowId: string, started: number, indent = ''): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const names = new Map<string, string>();
  for (const e of history.events ?? []) {
    const at =
      Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
    const t = `${indent}${String(at - started).padStart(6)} ms`;
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
    if (childDone) {
      const id = childDone.workflowExecution?.workflowId;
      console.log(`${t}  child ${id} completed`);
      if (id) await printTimeline(id, started, `${indent}    `);
    }
  }
}

// Two jobs, alternated so they are measured side by side: the notebook's job (generate,
// dedupe, split, publish) and tagflow's default, which also evaluates the dataset against the
// reference corpus and draws the charts for the card (work the notebook never did).
const JOBS = [
  { job: 'notebook job', evaluate: false },
  { job: 'with evaluate', evaluate: true },
] as const;

interface Timing {
  round: number;
  job: string;
  seconds: number;
  rows: number;
  stages: StageTime[];
}
const results: Timing[] = [];
try {
  for (let round = 1; round <= runs; round++) {
    for (const { job, evaluate } of JOBS) {
      const config = await conceptcapsConfig(`bench-${round}-${randomUUID().slice(0, 6)}`, dir, {
        evaluate: { enabled: evaluate },
      });
      const started = Date.now();
      const result: RunResult = await client.workflow.execute('generateDataset', {
        taskQueue: taskQueueName('cpu', queuePrefix),
        workflowId: runWorkflowId(config.name),
        args: [{ runId: config.name, config, queuePrefix } satisfies RunInput],
      });
      const ended = Date.now();
      if (args.timeline) await printTimeline(runWorkflowId(config.name), started);
      const rows = Object.values(result.splits).reduce((a, b) => a + b, 0);
      const stages = await stageTimes(client, runWorkflowId(config.name));
      results.push({ round, job, seconds: (ended - started) / 1000, rows, stages });
    }
  }
} finally {
  await workers.shutdown();
  await running;
  await connection.close();
  await server.stop();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log(`\nConceptCaps notebook-sized run through Temporal (CPU, ${runs} rounds)\n`);
console.log('| round | job | seconds | published rows |');
console.log('| ---: | --- | ---: | ---: |');
for (const r of results) {
  const label = r.round === 1 && r.job === JOBS[0].job ? ' (cold worker)' : '';
  console.log(`| ${r.round} | ${r.job}${label} | ${r.seconds.toFixed(2)} | ${r.rows} |`);
}
const warm = results.filter((r) => r.round > 1);
if (warm.length) {
  console.log('\nwarm worker (rounds 2+), median:');
  for (const { job } of JOBS) {
    const m = median(warm.filter((r) => r.job === job).map((r) => r.seconds));
    console.log(`  ${job.padEnd(14)} ${m.toFixed(2)} s`);
  }
}

const lastRuns = JOBS.flatMap(({ job }) => {
  const last = results.filter((r) => r.job === job).at(-1);
  return last ? [{ label: `round ${last.round}, ${job}`, stages: last.stages }] : [];
});
console.log('\nstage wall times from the histories (split and evaluate overlap)\n');
for (const line of stageTable(lastRuns)) console.log(line);

rmSync(dir, { recursive: true, force: true });
