// A large ConceptCaps run on one machine, as a cluster runs it: a dev server, one `tagflow
// worker` process serving both queues (the real command, through its esbuild bundle), and
// this process as the client — optionally beside a busy process that keeps one core spinning.
// Reports wall time, rows/s, the peak RSS of every process, the largest event-loop stall of
// the worker per stage (its own measure, activities/event-loop-watch.ts, in the run's result),
// the SDK's `[TMPRL1104]` warnings (workflow tasks over 1 s: TEMPORAL_WORKFLOW_TASK_DURATION_WARN_SECONDS=1)
// and each workflow history's size against Temporal's limits.
//
//   npx tsx bench/scale.ts --rows 1000000 [--busy] [--no-evaluate] [--pack /tmp/cc-pack-stall]
//
// The pack is imported with `tagflow model import` when the folder has none. Nothing here is
// compared with a constant: the figures are printed for docs/speed.md.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { RunInput, RunResult } from '../core/run-types.js';
import { runWorkflowId } from '../core/run-types.js';
import { startDevServer } from '../infra/dev-server.js';
import { conceptcaps, conceptcapsCatalogue } from '../test/helpers/conceptcaps.js';
import { makeConfig, startWorkerProcess, TAGFLOW_BIN } from '../test/helpers/pipeline.js';
import { taskQueueName } from '../workflows/task-queues.js';
import { stageTimes } from './run-history.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    busy: { type: 'boolean', default: false },
    'no-evaluate': { type: 'boolean', default: false },
    pack: { type: 'string', default: join(tmpdir(), 'cc-pack-stall') },
    keep: { type: 'boolean', default: false },
  },
});
const latentRows = Number(args.rows);
if (!Number.isInteger(latentRows) || latentRows < 1) throw new Error('--rows: a whole number ≥ 1');

/** Temporal's limits per workflow execution (docs: "Temporal Cloud limits", the same on a dev server). */
const LIMITS = { events: 51_200, bytes: 50 * 1024 * 1024, pending: 2_000 };

if (!existsSync(join(args.pack, 'model.json'))) {
  execFileSync(
    process.execPath,
    [
      TAGFLOW_BIN,
      'model',
      'import',
      conceptcaps('vae_final.pth'),
      '--taxonomy',
      conceptcaps('concepts_to_tags.json'),
      '--out',
      args.pack,
    ],
    { stdio: 'inherit' },
  );
}

/** Peak RSS (VmHWM, MB) of a process and each of its descendants, with their names. */
function peakRss(rootPid: number): { pid: number; name: string; mb: number }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: { pid: number; name: string; mb: number }[] = [];
  const visit = (pid: number) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const name = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3).join(' ');
      out.push({ pid, name: name.slice(0, 70), mb: Math.round(kb / 1024) });
    } catch {
      return;
    }
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(rootPid);
  return out;
}

/** The worker's RSS (MB) every 250 ms while the run goes, to tell which stage holds the most. */
function sampleRss(pid: number): { samples: [number, number][]; stop: () => void } {
  const samples: [number, number][] = [];
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      samples.push([Date.now(), Math.round(kb / 1024)]);
    } catch {
      // exited
    }
  }, 250);
  return { samples, stop: () => clearInterval(timer) };
}

/** Each stage's span in the run's history (activities by type; generation: the children). */
async function stageWindows(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const scheduled = new Map<string, { name: string; at: number }>();
  const windows: { name: string; from: number; to: number }[] = [];
  let children: { from: number; to: number } | undefined;
  for (const e of history.events ?? []) {
    const at = ms(e.eventTime);
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) scheduled.set(String(e.eventId), { name: sched.activityType?.name ?? '?', at });
    const done = e.activityTaskCompletedEventAttributes;
    const s = done && scheduled.get(String(done.scheduledEventId));
    if (s) windows.push({ name: s.name, from: s.at, to: at });
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) children ??= { from: at, to: at };
    if (e.childWorkflowExecutionCompletedEventAttributes && children) children.to = at;
  }
  if (children) windows.push({ name: 'generate (children)', ...children });
  return windows;
}

/** Most activities and child workflows pending at once in a history. */
async function historyFigures(client: Client, workflowId: string) {
  const handle = client.workflow.getHandle(workflowId);
  const [history, described] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const open = { activities: new Set<string>(), children: new Set<string>() };
  let most = { activities: 0, children: 0 };
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) open.activities.add(id);
    for (const done of [
      e.activityTaskCompletedEventAttributes,
      e.activityTaskFailedEventAttributes,
      e.activityTaskTimedOutEventAttributes,
      e.activityTaskCanceledEventAttributes,
    ])
      if (done) open.activities.delete(String(done.scheduledEventId));
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) open.children.add(id);
    for (const done of [
      e.childWorkflowExecutionCompletedEventAttributes,
      e.childWorkflowExecutionFailedEventAttributes,
      e.childWorkflowExecutionTimedOutEventAttributes,
      e.childWorkflowExecutionCanceledEventAttributes,
      e.childWorkflowExecutionTerminatedEventAttributes,
      e.startChildWorkflowExecutionFailedEventAttributes,
    ])
      if (done) open.children.delete(String(done.initiatedEventId));
    most = {
      activities: Math.max(most.activities, open.activities.size),
      children: Math.max(most.children, open.children.size),
    };
  }
  return {
    workflowId,
    events: described.historyLength,
    bytes: described.historySize ?? 0,
    pendingActivities: most.activities,
    pendingChildren: most.children,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'tagflow-bench-scale-'));
const server = await startDevServer({ dataDir: join(dir, 'temporal') });
const queuePrefix = `scale-${randomUUID().slice(0, 8)}`;
const worker = startWorkerProcess({
  address: server.address,
  queuePrefix,
  env: { TEMPORAL_WORKFLOW_TASK_DURATION_WARN_SECONDS: '1', TAGFLOW_LOG_LEVEL: 'WARN' },
});
let busy: ChildProcess | undefined;
if (args.busy) busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });

const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
const name = `scale-${latentRows}`;
const config = makeConfig(
  {
    name,
    taxonomy: conceptcaps('concepts_to_tags.json'),
    catalogue: conceptcapsCatalogue(),
    counts: { mode: 'fit', reference: conceptcaps('musiccaps_distilled.csv') },
    model: { pack: args.pack },
    generation: { latent: { rows: latentRows } },
    evaluate: { enabled: !args['no-evaluate'] },
  },
  dir,
);

let result: RunResult | undefined;
let wall = 0;
let rss: (ReturnType<typeof peakRss>[number] & { role: string })[] = [];
let histories: Awaited<ReturnType<typeof historyFigures>>[] = [];
let spans: [string, number][] = [];
let rssByStage: [string, number][] = [];
const rssSamples = sampleRss(worker.child.pid!);
try {
  const started = Date.now();
  result = (await client.workflow.execute('generateDataset', {
    taskQueue: taskQueueName('cpu', queuePrefix),
    workflowId: runWorkflowId(name),
    args: [{ runId: name, config, queuePrefix } satisfies RunInput],
  })) as RunResult;
  wall = (Date.now() - started) / 1000;
  rss = [
    ...peakRss(worker.child.pid!).map((p) => ({ ...p, role: 'worker' })),
    ...peakRss(server.pid).map((p) => ({ ...p, role: 'dev server' })),
    ...(busy ? peakRss(busy.pid!).map((p) => ({ ...p, role: 'busy' })) : []),
    ...peakRss(process.pid).map((p) => ({ ...p, role: 'bench client' })),
  ].filter((p, i, all) => all.findIndex((q) => q.pid === p.pid) === i);
  // The run's workflow and its temperature children, as its history names them.
  const parent = await client.workflow.getHandle(runWorkflowId(name)).fetchHistory();
  const ids = [runWorkflowId(name)];
  for (const e of parent.events ?? []) {
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (child) ids.push(child);
  }
  histories = await Promise.all(ids.map((id) => historyFigures(client, id)));
  spans = (await stageTimes(client, runWorkflowId(name))).map((t) => [t.stage, t.wallMs]);
  rssSamples.stop();
  rssByStage = (await stageWindows(client, runWorkflowId(name))).map(({ name, from, to }) => [
    name,
    Math.max(0, ...rssSamples.samples.filter(([t]) => t >= from && t <= to).map(([, mb]) => mb)),
  ]);
} finally {
  rssSamples.stop();
  busy?.kill('SIGKILL');
  worker.kill('SIGTERM');
  await worker.exited;
  await connection.close();
  await server.stop();
}

const warnings = worker.output().match(/\[TMPRL1104\][^\n]*/g) ?? [];
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
console.log(
  `\nConceptCaps, ${latentRows.toLocaleString('en')} latent rows${args.busy ? ', beside one busy process' : ''}${args['no-evaluate'] ? ', evaluate off' : ''}\n`,
);
if (result) {
  console.log(
    `wall ${wall.toFixed(1)} s; ${result.rowsGenerated.toLocaleString('en')} rows generated (${Math.round(result.rowsGenerated / wall).toLocaleString('en')} rows/s), ${result.rowsUnique.toLocaleString('en')} unique`,
  );
  console.log('\nlargest event-loop stall of the worker, per stage (ms):');
  for (const [stage, ms] of Object.entries(result.eventLoopStallMs ?? {}))
    console.log(`  ${stage.padEnd(10)} ${String(ms).padStart(6)}`);
}
console.log(
  `\nSDK warnings [TMPRL1104] (workflow task > 1 s): ${warnings.length}${warnings.length ? `\n  ${warnings.slice(0, 5).join('\n  ')}` : ''}`,
);
console.log('\npeak RSS (MB):');
for (const p of rss)
  console.log(`  ${String(p.mb).padStart(6)}  ${p.role.padEnd(12)} ${p.pid}  ${p.name}`);
console.log('\nworker RSS, most while each stage ran (MB; sampled every 250 ms):');
for (const [stage, mb] of rssByStage)
  console.log(`  ${stage.padEnd(26)} ${String(mb).padStart(7)}`);
console.log('\nstage wall times (from the history; split and evaluate overlap):');
for (const [stage, ms] of spans)
  console.log(`  ${stage.padEnd(26)} ${(ms / 1000).toFixed(2).padStart(7)} s`);
console.log(
  `\nhistories (limits: ${LIMITS.events.toLocaleString('en')} events, ${mb(LIMITS.bytes)} MB, ${LIMITS.pending.toLocaleString('en')} pending activities/children):`,
);
console.log('| workflow | events | size (MB) | most pending activities | most pending children |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const h of histories)
  console.log(
    `| ${h.workflowId} | ${h.events} | ${mb(h.bytes)} | ${h.pendingActivities} | ${h.pendingChildren} |`,
  );
if (!args.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`\nkept: ${dir}`);
