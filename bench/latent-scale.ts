// Ten million latent rows end to end against the raw batched onnxruntime decode ceiling,
// measured in the same run, on the ConceptCaps pack (CPU):
//
//   npx tsx bench/latent-scale.ts [--rows 10000000] [--runs 1] [--chunk-rows auto,5000] [--keep]
//
// End to end: `tagflow run --config job.yaml` as a user runs it, a whole cold process in
// embedded mode (its own dev server and worker): the notebook's job (ConceptCaps inputs,
// `preset: notebook`, the seven temperatures, evaluate off) with `generation.latent.rows`
// latent rows (plus the 14,287 seeded ones), generated, de-duplicated, split and published.
// rows/s = rows generated ÷ the process's wall time.
//
// Ceiling: the decoder alone over prepared z, batch after batch of 2,048 rows (the product's
// batch size) at the seven temperatures, onnxruntime in this process on all cores — raw
// batched decode at its fastest here (as bench/generation.ts's latent ceiling). It is
// measured before the first run and after each one (once the run's dev server has stopped),
// and a run is compared with the mean of the measurements either side of it, so a machine
// whose speed drifts shifts both.
//
// `--chunk-rows` runs each listed setting in turn every round (`auto`: the config leaves
// chunkRows unset, core/plan.ts sizes chunks to the run). The stage table is read from each
// run's workflow history.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { NOTEBOOK_COUNT_PARAMS } from '../core/counts/index.js';
import { clearVaeSessionCache, loadVaeSession } from '../core/generation/index.js';
import { loadTaxonomy } from '../core/inputs/index.js';
import { RowStream, Stage } from '../core/rng.js';
import { runWorkflowId } from '../core/run-types.js';
import { runningDevServer } from '../infra/dev-server.js';
import { importCheckpoint } from '../models/import-checkpoint.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';
import { type StageTime, stageTable, stageTimes } from './run-history.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '1' },
    'chunk-rows': { type: 'string', default: 'auto' },
    keep: { type: 'boolean', default: false },
  },
});
const latentRows = Number(args.rows);
const rounds = Math.max(1, Number(args.runs));
const chunkSettings = args['chunk-rows'].split(',').map((c) => c.trim());
const TEMPERATURES = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];
const BATCH = 2048;
/** Rows per ceiling pass: 16 batches at each temperature. */
const CEILING_ROWS = TEMPERATURES.length * 16 * BATCH;

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const TAGFLOW = join(REPO, 'bin', 'tagflow.js');
const started = performance.now();
const log = (line: string) =>
  console.error(`[latent-scale ${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const project = mkdtempSync(join(tmpdir(), 'tagflow-bench-latent-scale-'));
const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
const packDir = join(project, 'pack');
log('importing the ConceptCaps checkpoint');
const meta = await importCheckpoint({
  checkpointPath: conceptcaps('vae_final.pth'),
  taxonomy,
  outDir: packDir,
});
const { categories, ...counts } = NOTEBOOK_COUNT_PARAMS;
void categories;
for (const setting of chunkSettings) {
  writeFileSync(
    join(project, `job-${setting}.yaml`),
    stringify({
      name: 'latent-scale',
      seed: 42,
      preset: 'notebook',
      taxonomy: conceptcaps('concepts_to_tags.json'),
      catalogue: {
        path: conceptcaps('mtg_jamendo_top50tags_cleaned.csv'),
        tagColumns: { tempo: null },
      },
      counts: { mode: 'params', ...counts },
      model: { pack: 'pack' },
      generation: {
        temperatures: TEMPERATURES,
        latent: { rows: latentRows },
        ...(setting === 'auto' ? {} : { chunkRows: Number(setting) }),
      },
      evaluate: { enabled: false },
    }),
  );
}

// The ceiling's inputs: standard-normal z for CEILING_ROWS rows, drawn once.
const L = meta.latentDim;
const z = new Float32Array(CEILING_ROWS * L);
for (let r = 0; r < CEILING_ROWS; r++)
  new RowStream({ seed: 42, stage: Stage.Latent, temperatureIndex: 0, row: r }).fillNormal(
    z,
    r * L,
    L,
  );
const temperature = new Float32Array(BATCH);

/** Raw batched decode rows/s: one untimed pass, then the median of three. */
async function ceiling(): Promise<number> {
  const raw = await loadVaeSession({ packDir, batchSize: BATCH, inferenceThreads: 0 });
  const pass = async () => {
    for (let first = 0; first < CEILING_ROWS; first += BATCH) {
      temperature.fill(TEMPERATURES[(first / BATCH) % TEMPERATURES.length]);
      await raw.decode(z.subarray(first * L, (first + BATCH) * L), temperature, BATCH);
    }
  };
  await pass();
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await pass();
    rates.push(CEILING_ROWS / ((performance.now() - t0) / 1000));
  }
  await clearVaeSessionCache();
  // onnxruntime's threads spin a while after their last call: let them stop before a run.
  await new Promise((r) => setTimeout(r, 1000));
  return median(rates);
}

function tagflow(argv: string[]): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolveRun, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.TEMPORAL_ADDRESS;
    const t0 = performance.now();
    const child = spawn(process.execPath, [TAGFLOW, ...argv], {
      cwd: project,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`tagflow ${argv.join(' ')} exited ${code}\n${stderr}`));
      else resolveRun({ seconds: (performance.now() - t0) / 1000, stdout });
    });
  });
}

interface Run {
  name: string;
  chunkRows: string;
  seconds: number;
  rows: number;
  ceilingBefore: number;
  ceilingAfter: number;
  stages?: StageTime[];
}
const runs: Run[] = [];
try {
  log(`ceiling (${CEILING_ROWS} rows a pass, batch ${BATCH})`);
  let before = await ceiling();
  log(`ceiling ${(before / 1000).toFixed(0)}k rows/s`);
  for (let round = 1; round <= rounds; round++) {
    for (const setting of chunkSettings) {
      const name = `scale-${setting}-${round}`;
      log(`${name}: tagflow run, ${latentRows} latent rows, chunkRows ${setting}`);
      const run = await tagflow([
        'run',
        '--config',
        `job-${setting}.yaml`,
        '--name',
        name,
        '--no-progress',
        '--no-ui',
      ]);
      const rows = Number(/rows: (\d+) generated/.exec(run.stdout)?.[1]);
      // The run's dev server finishes stopping after its process (shutdown is off the run's
      // critical path): the ceiling is measured once it is gone, not beside it.
      const stateDir = join(project, '.tagflow', 'temporal');
      for (let waited = 0; runningDevServer(stateDir) !== undefined && waited < 60; waited++)
        await new Promise((r) => setTimeout(r, 500));
      const after = await ceiling();
      runs.push({
        name,
        chunkRows: setting,
        seconds: run.seconds,
        rows,
        ceilingBefore: before,
        ceilingAfter: after,
      });
      log(
        `${name}: ${run.seconds.toFixed(1)} s, ${(rows / run.seconds / 1000).toFixed(0)}k rows/s; ceiling ${(after / 1000).toFixed(0)}k rows/s`,
      );
      before = after;
    }
  }
  // The stage table from the histories: a background server reads the project's state.
  await tagflow(['server', 'start', '--no-ui']);
  const status = await tagflow(['server', 'status']);
  const address = /address\s+(\S+)/.exec(status.stdout)?.[1];
  if (address) {
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    for (const r of runs) r.stages = await stageTimes(client, runWorkflowId(r.name));
    await connection.close();
  }
} finally {
  await tagflow(['server', 'stop']).catch(() => undefined);
  if (!args.keep) rmSync(project, { recursive: true, force: true });
  else log(`kept ${project}`);
}

const k = (v: number) => `${(v / 1000).toFixed(0)}k`;
console.log(
  `\n${latentRows} latent rows end to end (tagflow run, embedded, cold process) against raw batched decode (batch ${BATCH}, onnxruntime in process, ${availableParallelism()} cores)\n`,
);
console.log(
  '| run | chunkRows | rows generated | wall s | rows/s | ceiling rows/s (before, after) | rows/s ÷ ceiling |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of runs) {
  const ceilingMid = (r.ceilingBefore + r.ceilingAfter) / 2;
  console.log(
    `| ${r.name} | ${r.chunkRows} | ${r.rows} | ${r.seconds.toFixed(1)} | ${k(r.rows / r.seconds)} | ${k(ceilingMid)} (${k(r.ceilingBefore)}, ${k(r.ceilingAfter)}) | **${(r.rows / r.seconds / ceilingMid).toFixed(2)}** |`,
  );
}
for (const setting of chunkSettings) {
  const of = runs.filter((r) => r.chunkRows === setting);
  const fractions = of.map((r) => r.rows / r.seconds / ((r.ceilingBefore + r.ceilingAfter) / 2));
  console.log(
    `  chunkRows ${setting}: median ${median(fractions).toFixed(2)} of the ceiling (${Math.min(...fractions).toFixed(2)}–${Math.max(...fractions).toFixed(2)}, ${of.length} runs)`,
  );
}
console.log('\nstage wall times from the histories (first scheduled to last completed)\n');
for (const line of stageTable(runs.map((r) => ({ label: r.name, stages: r.stages ?? [] }))))
  console.log(line);
