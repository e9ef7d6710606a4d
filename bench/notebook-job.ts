// The notebook's job as a user runs it, timed as whole processes side by side with the
// notebook's own loop (bench/notebook_baseline.py, per-row PyTorch, run live in the same
// bench), alternating in pairs:
//
//   embedded   `tagflow run --config job.yaml` from a cold process, no server up: the process
//              starts the dev server and a worker itself (embedded mode);
//   server     the same command with `tagflow server start` already up in the project (the
//              second and later runs a user makes): the process only submits and follows;
//   tsx        (only when asked) embedded, with TAGFLOW_NO_BUILD=1: the TypeScript sources
//              through tsx instead of the launcher's bundle, to show what the transform costs.
//
// The job: ConceptCaps inputs (../shared/conceptcaps: taxonomy, the 2,041-track catalogue,
// the imported vae_final.pth), the notebook's count model and seven temperatures, `preset:
// notebook`, evaluate off; 28,574 rows generated, de-duplicated, split and published. Every
// run has its own name, so every stage runs.
//
//   npx tsx bench/notebook-job.ts [--pairs 3] [--modes embedded,server,tsx] [--keep]
//
// Untimed before the pairs: the Python environment (bench/notebook-python.ts), the pack
// import, and one run of each side (page cache, tagflow's workflow-bundle and build caches,
// which a first run after an install or a change makes once). The per-stage table is read
// from the runs' workflow histories; where a run's process spent its time, from its
// TAGFLOW_TRACE lines.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { NOTEBOOK_COUNT_PARAMS } from '../core/counts/index.js';
import { loadTaxonomy } from '../core/inputs/index.js';
import { runWorkflowId } from '../core/run-types.js';
import { importCheckpoint } from '../models/import-checkpoint.js';
import { CONCEPTCAPS_DIR, conceptcaps } from '../test/helpers/conceptcaps.js';
import { notebookPython } from './notebook-python.js';
import { type StageTime, stageTable, stageTimes } from './run-history.js';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    modes: { type: 'string', default: 'embedded,server' },
    keep: { type: 'boolean', default: false },
  },
});
const pairs = Math.max(1, Number(args.pairs));
type Mode = 'embedded' | 'tsx' | 'server';
const MODES: Mode[] = ['embedded', 'tsx', 'server'];
const asked = args.modes.split(',').map((m) => m.trim());
for (const m of asked)
  if (!MODES.includes(m as Mode)) throw new Error(`unknown mode ${m} (${MODES.join(', ')})`);
// The server mode last: once it is up, runs go to it.
const modes = MODES.filter((m) => asked.includes(m));

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TAGFLOW = join(REPO, 'bin', 'tagflow.js');
const BASELINE = join(REPO, 'bench', 'notebook_baseline.py');
const started = performance.now();
const log = (line: string) =>
  console.error(`[notebook-job ${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);

// The project folder the runs are made in: its .tagflow/temporal is the server's state.
const project = mkdtempSync(join(tmpdir(), 'tagflow-bench-notebook-job-'));
const python = notebookPython(log);
log('importing the ConceptCaps checkpoint');
await importCheckpoint({
  checkpointPath: conceptcaps('vae_final.pth'),
  taxonomy: loadTaxonomy(conceptcaps('concepts_to_tags.json')),
  outDir: join(project, 'pack'),
});
const { categories, ...counts } = NOTEBOOK_COUNT_PARAMS;
writeFileSync(
  join(project, 'job.yaml'),
  stringify({
    name: 'notebook-job',
    seed: 42,
    preset: 'notebook',
    taxonomy: conceptcaps('concepts_to_tags.json'),
    // The catalogue has no tempo column (the notebook's seeds come from genre, instrument, mood).
    catalogue: {
      path: conceptcaps('mtg_jamendo_top50tags_cleaned.csv'),
      tagColumns: { tempo: null },
    },
    counts: { mode: 'params', ...counts },
    model: { pack: 'pack' },
    generation: { temperatures: [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0] },
    evaluate: { enabled: false },
  }),
);
void categories;

interface Timed {
  seconds: number;
  /** Seconds until the result was printed (tagflow: the `dataset:` line). */
  resultSeconds?: number;
  stdout: string;
  /** TAGFLOW_TRACE lines: [ms since the process started, step]. */
  trace: [number, string][];
}

function timed(
  command: string,
  argv: string[],
  resultLine?: RegExp,
  extraEnv: Record<string, string> = {},
): Promise<Timed> {
  return new Promise((resolveRun, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TAGFLOW_TRACE: '1', ...extraEnv };
    delete env.TEMPORAL_ADDRESS;
    const t0 = performance.now();
    let resultAt: number | undefined;
    const child = spawn(command, argv, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (resultAt === undefined && resultLine?.test(stdout)) resultAt = performance.now();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const t1 = performance.now();
      if (code !== 0) {
        reject(new Error(`${command} ${argv.join(' ')} exited ${code}\n${stdout}\n${stderr}`));
        return;
      }
      resolveRun({
        seconds: (t1 - t0) / 1000,
        resultSeconds: resultAt === undefined ? undefined : (resultAt - t0) / 1000,
        stdout,
        trace: [...stderr.matchAll(/^\[trace\s+(\d+) ms\] (.*)$/gm)].map(
          (m) => [Number(m[1]), m[2]] as [number, string],
        ),
      });
    });
  });
}

let runNo = 0;
const notebook = () =>
  timed(python, [BASELINE, '--data', CONCEPTCAPS_DIR, '--out', join(project, 'notebook-out')]);
const tagflow = (mode: string) => {
  const name = `nb-${mode}-${++runNo}`;
  return timed(
    process.execPath,
    [TAGFLOW, 'run', '--config', 'job.yaml', '--name', name, '--no-progress'],
    /^dataset: /m,
    mode === 'tsx' ? { TAGFLOW_NO_BUILD: '1' } : {},
  ).then((t) => ({ ...t, name }));
};
const server = (command: 'start' | 'stop') => timed(process.execPath, [TAGFLOW, 'server', command]);

interface Pair {
  mode: Mode;
  notebook: number;
  /** The notebook's own timers (bench/notebook_baseline.py): imports, seeded, latent, … */
  notebookSteps: Record<string, number>;
  tagflow: number;
  tagflowResult?: number;
  name: string;
  trace: [number, string][];
  stages?: StageTime[];
}
const results: Pair[] = [];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const notebookRun = async () => {
  const t = await notebook();
  const out = JSON.parse(t.stdout.trim().split('\n').at(-1) ?? '{}');
  return { seconds: t.seconds, steps: (out.seconds ?? {}) as Record<string, number>, out };
};

try {
  log('warm-up: one notebook run, one tagflow run (untimed)');
  const nb = (await notebookRun()).out;
  log(
    `notebook: ${nb.rowsGenerated} rows generated, ${nb.rowsUnique} unique (${JSON.stringify(nb.versions)})`,
  );
  await tagflow('warmup');
  for (const mode of modes) {
    if (mode === 'server') {
      log('tagflow server start (untimed), and one run to warm its worker');
      await server('start');
      await tagflow('server-warmup');
    }
    for (let i = 0; i < pairs; i++) {
      // Alternate which side goes first, so neither always follows the other.
      const order =
        i % 2 === 0 ? (['notebook', 'tagflow'] as const) : (['tagflow', 'notebook'] as const);
      const pair: Partial<Pair> = { mode };
      for (const side of order) {
        if (side === 'notebook') {
          const run = await notebookRun();
          pair.notebook = run.seconds;
          pair.notebookSteps = run.steps;
        } else {
          const t = await tagflow(mode);
          pair.tagflow = t.seconds;
          pair.tagflowResult = t.resultSeconds;
          pair.name = t.name;
          pair.trace = t.trace;
        }
      }
      results.push(pair as Pair);
      log(
        `${mode} pair ${i + 1}: notebook ${pair.notebook?.toFixed(2)} s, tagflow ${pair.tagflow?.toFixed(2)} s`,
      );
    }
  }
  // Stage times from the histories: the server (started now if the modes did not) reads the
  // project's SQLite state, embedded runs' histories included.
  if (!modes.includes('server')) await server('start');
  const status = await timed(process.execPath, [TAGFLOW, 'server', 'status']);
  const address = /address\s+(\S+)/.exec(status.stdout)?.[1];
  if (address) {
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    for (const r of results) r.stages = await stageTimes(client, runWorkflowId(r.name));
    await connection.close();
  }
} finally {
  await server('stop').catch(() => undefined);
  if (!args.keep) rmSync(project, { recursive: true, force: true });
  else log(`kept ${project}`);
}

const s = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(2));
console.log(
  `\nThe notebook's job, whole processes side by side (${pairs} pairs a mode, alternating; CPU)\n`,
);
console.log('| mode | pair | notebook s | tagflow s (result printed) | notebook ÷ tagflow |');
console.log('| --- | ---: | ---: | ---: | ---: |');
results.forEach((r, i) => {
  const printed = r.tagflowResult === undefined ? '' : ` (${r.tagflowResult.toFixed(2)})`;
  console.log(
    `| ${r.mode} | ${(i % pairs) + 1} | ${r.notebook.toFixed(2)} | ${r.tagflow.toFixed(2)}${printed} | ${(r.notebook / r.tagflow).toFixed(2)}× |`,
  );
});
console.log('\nmedians (ratio: median of the pairs’ ratios, with their range)');
for (const mode of modes) {
  const rs = results.filter((r) => r.mode === mode);
  if (!rs.length) continue;
  const ratios = rs.map((r) => r.notebook / r.tagflow);
  console.log(
    `  ${mode.padEnd(9)} notebook ${median(rs.map((r) => r.notebook)).toFixed(2)} s, tagflow ${median(rs.map((r) => r.tagflow)).toFixed(2)} s → ${median(ratios).toFixed(2)}× the notebook (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
  );
}

// Step by step, beside the notebook's own timers (medians over each mode's runs). tagflow's
// steps are wall times from the run's workflow history (seeded and latent chunks overlap);
// its process's start and end from its TAGFLOW_TRACE lines.
const stageWall = (r: Pair, ...names: string[]) => {
  const walls = names.map((n) => r.stages?.find((x) => x.stage === n)?.wallMs);
  return walls.some((w) => w === undefined)
    ? Number.NaN
    : walls.reduce((a, b) => a! + b!, 0)! / 1000;
};
const traced = (r: Pair, step: string) =>
  (r.trace.find(([, s]) => s === step)?.[0] ?? Number.NaN) / 1000;
const steps: [string, (p: Pair) => number, (p: Pair) => number][] = [
  ['whole process', (p) => p.notebook, (p) => p.tagflow],
  [
    'start: imports (notebook); process start to workflow submitted (tagflow)',
    (p) => p.notebookSteps.imports + p.notebookSteps.setup,
    (p) => traced(p, 'workflow submitted'),
  ],
  [
    'load inputs, fit counts',
    () => Number.NaN,
    (p) => stageWall(p, 'prepareRun', 'loadInputs', 'fitCounts'),
  ],
  [
    'generate seeded rows',
    (p) => p.notebookSteps.seeded,
    (p) => stageWall(p, 'generateSeededChunk'),
  ],
  [
    'generate latent rows',
    (p) => p.notebookSteps.latent,
    (p) => stageWall(p, 'generateLatentChunk'),
  ],
  [
    'generate, both (tagflow: side by side)',
    (p) => p.notebookSteps.seeded + p.notebookSteps.latent,
    (p) => stageWall(p, 'generate (all chunks)'),
  ],
  [
    'de-duplicate, ids, split',
    (p) => p.notebookSteps.dedupeSplit,
    (p) => stageWall(p, 'dedupe', 'split'),
  ],
  [
    'write the dataset (CSV / Parquet, card)',
    (p) => p.notebookSteps.csv,
    (p) => stageWall(p, 'publish'),
  ],
  ['workflow, start to end', () => Number.NaN, (p) => stageWall(p, '(workflow)')],
  [
    'result printed to process exit',
    () => Number.NaN,
    (p) => (p.tagflowResult === undefined ? Number.NaN : p.tagflow - p.tagflowResult),
  ],
];
console.log('\nstep by step (medians, seconds; tagflow from its workflow history)\n');
console.log(`| step | notebook | ${modes.map((m) => `tagflow ${m}`).join(' | ')} |`);
console.log(`| --- | ---: | ${modes.map(() => '---:').join(' | ')} |`);
for (const [label, nbStep, tfStep] of steps) {
  const cells = modes.map((m) => s(median(results.filter((r) => r.mode === m).map(tfStep))));
  console.log(`| ${label} | ${s(median(results.map(nbStep)))} | ${cells.join(' | ')} |`);
}

// Every activity, median wall time per mode.
const medianStages = (runs: Pair[]): StageTime[] => {
  const names = [...new Set(runs.flatMap((r) => (r.stages ?? []).map((x) => x.stage)))];
  return names.map((stage) => {
    const of = runs.flatMap((r) => r.stages?.filter((x) => x.stage === stage) ?? []);
    return {
      stage,
      activities: median(of.map((x) => x.activities)),
      wallMs: median(of.map((x) => x.wallMs)),
      busyMs: median(of.map((x) => x.busyMs)),
    };
  });
};
console.log(
  '\nevery activity of the run (medians of wall time, first scheduled to last completed)\n',
);
for (const line of stageTable(
  modes.map((m) => ({ label: m, stages: medianStages(results.filter((r) => r.mode === m)) })),
))
  console.log(line);
const last = results.at(-1);
if (last) {
  console.log(`\nthe last run's process (${last.mode}; TAGFLOW_TRACE: when each step ended)`);
  for (const [ms, step] of last.trace)
    console.log(`  ${(ms / 1000).toFixed(2).padStart(6)} s  ${step}`);
  console.log(`  ${last.tagflow.toFixed(2).padStart(6)} s  process exited`);
}
