// tagflow's default generation next to a peer: SDV's GaussianCopulaSynthesizer (PyPI `sdv`), on
// the real ConceptCaps data, scored with the same code against the same reference.
//
//   npx tsx bench/peer-quality.ts [--seed 42] [--rows N] [--out bench/results/peer-quality.md] [--keep]
//   (then `npx biome format --write bench/results/peer-quality.md`: biome aligns the table)
//
// One run does, in a temp folder (removed at the end unless --keep):
// 1. imports vae_final.pth as a model pack (models/import-checkpoint.ts, what `tagflow model
//    import` calls);
// 2. runs tagflow the way a user does: a run config YAML with no generation settings (the
//    `tagflow` preset's defaults), then the same with `preset: notebook`, each through
//    `tagflow run --config <yaml> --no-progress` in embedded mode (no TEMPORAL_ADDRESS; the
//    child's working folder is the temp folder, so its Temporal state stays there);
// 3. fits SDV's GaussianCopulaSynthesizer (default settings) on the corpus, one boolean column
//    per taxonomy tag (bench/sdv_gaussian_copula.py, in a bench-only venv cached under
//    .tagflow/bench-python: sdv without torch, which GaussianCopula does not need), and samples
//    as many rows as tagflow makes latent rows (catalogue rows × temperatures, before dedupe);
// 4. scores both with one function: core/evaluation's TagSetEvaluator against the corpus read
//    by core/inputs readTagCorpus. tagflow's rows are its published (deduplicated) latent rows,
//    read back from the dataset; SDV's rows are deduplicated by tag set the same way (first
//    occurrence kept). tagflow's own report (report/metrics.json → byMode.latent) is checked
//    against this scoring;
// 5. repeats it held out: musiccaps_distilled.csv split in two halves by a seeded shuffle;
//    tagflow fits counts, latent centres and calibration on half A (counts.reference) and is
//    evaluated on half B (evaluate.reference); SDV is fitted on half A and scored on half B.
//
// Caveat on "after dedupe": tagflow's dedupe runs over seeded and latent rows together (in the
// order temperature, mode, row), so a latent row whose tag set a seeded row already produced is
// dropped too; SDV has only its own rows to deduplicate against.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as toYaml } from 'yaml';
import { NOTEBOOK_TEMPERATURES } from '../core/config.js';
import {
  compareTagSetStats,
  type EvaluationReport,
  KeySet64,
  type MetricSet,
  normalizeTagSet,
  readPublishedRows,
  referenceTagSetStats,
  TagSetEvaluator,
  TagSetStats,
  tagSetKey,
} from '../core/evaluation/index.js';
import { loadTaxonomy, readCatalogue, readTagCorpus, type Taxonomy } from '../core/inputs/index.js';
import { rowStream, Stage } from '../core/rng.js';
import { importCheckpoint } from '../models/import-checkpoint.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    /** SDV rows to sample (default: tagflow's latent rows before dedupe). */
    rows: { type: 'string' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const seed = Number(args.seed);
if (!Number.isSafeInteger(seed) || seed < 0) throw new Error('--seed must be a whole number ≥ 0');

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const VENV = join(REPO, '.tagflow', 'bench-python');
const VENV_PYTHON = join(VENV, 'bin', 'python');
const SDV_SCRIPT = join(REPO, 'bench', 'sdv_gaussian_copula.py');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO, 'cli', 'main.ts');
/** sdv without its deep-learning synthesizers (ctgan, deepecho pull torch); versions as measured. */
const SDV_PACKAGES = ['sdv==2.0.0', 'copulas==0.14.1', 'rdt==2.0.0', 'sdmetrics==0.32.0'];
const SDV_DEPENDENCIES = [
  'boto3<2',
  'botocore<2',
  'cloudpickle',
  'graphviz',
  'numpy',
  'pandas<3',
  'platformdirs',
  'pyyaml',
  'tqdm',
];

const paths = {
  taxonomy: conceptcaps('concepts_to_tags.json'),
  catalogue: conceptcaps('mtg_jamendo_top50tags_cleaned.csv'),
  corpus: conceptcaps('musiccaps_distilled.csv'),
  checkpoint: conceptcaps('vae_final.pth'),
};
const taxonomy = loadTaxonomy(paths.taxonomy);
const catalogue = await readCatalogue({ path: paths.catalogue, taxonomy });
// What tagflow makes by default: catalogue rows × temperatures latent rows, before dedupe.
const tagflowLatentRows = catalogue.rows * NOTEBOOK_TEMPERATURES.length;
/** Rows SDV samples. */
const latentRows = args.rows ? Number(args.rows) : tagflowLatentRows;
if (!Number.isSafeInteger(latentRows) || latentRows <= 0) {
  throw new Error('--rows must be a whole number > 0');
}

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const log = (line: string) => console.error(`[peer-quality ${elapsed()}] ${line}`);

// ---------------------------------------------------------------------------------------------
// Child processes

function run(
  command: string,
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; echo?: boolean } = {},
): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, argv, {
      cwd: options.cwd ?? REPO,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolveRun(stdout);
      else {
        reject(
          new Error(
            `${command} ${argv.join(' ')} exited with ${code}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`,
          ),
        );
      }
    });
  });
}

async function pythonReady(): Promise<boolean> {
  if (!existsSync(VENV_PYTHON)) return false;
  try {
    await run(VENV_PYTHON, ['-c', 'from sdv.single_table import GaussianCopulaSynthesizer']);
    return true;
  } catch {
    return false;
  }
}

/** The bench-only venv with sdv (no torch: GaussianCopula does not need it). */
async function ensurePython(): Promise<void> {
  if (await pythonReady()) return;
  log(`creating ${VENV} (sdv without torch; once)`);
  if (!existsSync(VENV_PYTHON)) await run('python3', ['-m', 'venv', VENV]);
  const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '-q'];
  // sdv itself without its dependencies (ctgan and deepecho pull torch) …
  await run(VENV_PYTHON, [...pip, '--no-deps', ...SDV_PACKAGES]);
  // … then everything else it imports; copulas, rdt and sdmetrics bring their own dependencies
  // (scipy, scikit-learn, plotly, Faker, …), the pins keep their versions.
  const rest = [...SDV_PACKAGES.filter((p) => !p.startsWith('sdv==')), ...SDV_DEPENDENCIES];
  await run(VENV_PYTHON, [...pip, ...rest]);
  if (!(await pythonReady())) throw new Error(`${VENV}: sdv still does not import`);
}

interface SdvTiming {
  sdv: string;
  trainingRows: number;
  rows: number;
  fitSeconds: number;
  sampleSeconds: number;
}

async function sdvSample(corpus: string, out: string): Promise<SdvTiming> {
  const stdout = await run(VENV_PYTHON, [
    SDV_SCRIPT,
    '--taxonomy',
    paths.taxonomy,
    '--corpus',
    corpus,
    '--rows',
    String(latentRows),
    '--seed',
    String(seed),
    '--out',
    out,
  ]);
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as SdvTiming;
}

// ---------------------------------------------------------------------------------------------
// tagflow runs

interface TagflowRun {
  /** Latent rows after dedupe, as read back from the published dataset. */
  rows: Uint16Array[];
  /** The run's own report (report/metrics.json). */
  report: EvaluationReport;
  seconds: number;
}

async function tagflowRun(params: {
  name: string;
  dir: string;
  pack: string;
  countsReference: string;
  evaluateReference?: string;
  preset?: 'notebook';
}): Promise<TagflowRun> {
  const runDir = join(params.dir, params.name);
  mkdirSync(runDir, { recursive: true });
  const outDir = join(runDir, 'out');
  const config = {
    name: params.name,
    seed,
    ...(params.preset ? { preset: params.preset } : {}),
    taxonomy: paths.taxonomy,
    // MTG-Jamendo has no tempo tags: the run is told so.
    catalogue: { path: paths.catalogue, tagColumns: { tempo: null } },
    counts: { mode: 'fit', reference: params.countsReference },
    model: { pack: params.pack },
    ...(params.evaluateReference ? { evaluate: { reference: params.evaluateReference } } : {}),
    output: { target: pathToFileURL(outDir).href },
    artifacts: join(runDir, 'artifacts'),
  };
  const configPath = join(runDir, 'run.yaml');
  writeFileSync(configPath, toYaml(config));
  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS;
  log(`tagflow run ${params.name}`);
  const t0 = performance.now();
  // cwd = the run's folder: the embedded Temporal state (.tagflow/temporal) stays in the temp dir.
  await run(TSX, [CLI, 'run', '--config', configPath, '--no-progress', '--no-ui'], {
    cwd: runDir,
    env,
  });
  const seconds = (performance.now() - t0) / 1000;
  const report = JSON.parse(
    readFileSync(join(outDir, 'report', 'metrics.json'), 'utf8'),
  ) as EvaluationReport;
  const rows = (await readPublishedRows({ dir: outDir, taxonomy }))
    .filter((r) => r.mode === 'latent')
    .map((r) => Uint16Array.from(r.tags));
  log(`tagflow run ${params.name}: ${seconds.toFixed(0)} s, ${rows.length} latent rows published`);
  return { rows, report, seconds };
}

// ---------------------------------------------------------------------------------------------
// Scoring: one function for every generator

interface Reference {
  source: string;
  tags: Uint16Array[];
}

/** The rows' metrics against `reference`, the evaluate stage's code (one group, one mode). */
function score(rows: Iterable<ArrayLike<number>>, reference: Reference): MetricSet {
  const evaluator = new TagSetEvaluator({ taxonomy, reference });
  for (const tags of rows)
    evaluator.add({ mode: 'latent', temperatureIndex: 0, temperature: 1, tags });
  return evaluator.report().byMode.latent;
}

/** First occurrence of each tag set, in order (the dedupe stage's rule). */
function dedupe(rows: Uint16Array[], tax: Taxonomy): Uint16Array[] {
  const seen = new KeySet64();
  const scratch = new Int32Array(tax.size);
  return rows.filter((tags, i) => {
    const [hi, lo] = tagSetKey(normalizeTagSet(tags, tax.size, scratch, `row ${i}`));
    return seen.add(hi, lo);
  });
}

/** Largest absolute difference between two metric sets' headline figures. */
function largestGap(a: MetricSet, b: MetricSet): number {
  const keys = ['meanJs', 'maxW1', 'novelty', 'uniqueRatio', 'rows'] as const;
  let gap = Math.abs((a.cooccurrenceR ?? 0) - (b.cooccurrenceR ?? 0));
  for (const k of keys) gap = Math.max(gap, Math.abs(a[k] - b[k]));
  return gap;
}

// ---------------------------------------------------------------------------------------------
// The held-out split

/** Splits a CSV's data rows in two halves by a seeded shuffle; both keep the header. */
function splitCsv(path: string, outA: string, outB: string): { a: number; b: number } {
  const text = readFileSync(path, 'utf8');
  // With `raw`, csv-parse returns { record, raw } (its types do not say so): raw keeps the bytes.
  const records = parseCsv(text, { raw: true, skip_empty_lines: true }) as unknown as {
    raw: string;
  }[];
  const lines = records.map((r) => r.raw.replace(/\r?\n$/, ''));
  const [header, ...rows] = lines;
  const stream = rowStream({ seed, stage: Stage.Split, temperatureIndex: 0, row: 0 });
  for (let i = rows.length - 1; i > 0; i--) {
    const j = stream.int(i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const half = Math.floor(rows.length / 2);
  writeFileSync(outA, `${[header, ...rows.slice(0, half)].join('\n')}\n`);
  writeFileSync(outB, `${[header, ...rows.slice(half)].join('\n')}\n`);
  return { a: half, b: rows.length - half };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

interface Line {
  setting: string;
  generator: string;
  metrics: MetricSet;
  /** Rows before dedupe. */
  generated: number;
  note: string;
}

const tmp = mkdtempSync(join(tmpdir(), 'tagflow-peer-'));
const lines: Line[] = [];
const notes: string[] = [];
try {
  // The venv is made (once) while tagflow runs; a failure surfaces where it is awaited.
  const pythonSetup = ensurePython();
  pythonSetup.catch(() => {});
  const pack = join(tmp, 'pack');
  await importCheckpoint({ checkpointPath: paths.checkpoint, taxonomy, outDir: pack });
  log(`model pack imported → ${pack}`);

  const halfA = join(tmp, 'musiccaps_half_a.csv');
  const halfB = join(tmp, 'musiccaps_half_b.csv');
  const halves = splitCsv(paths.corpus, halfA, halfB);
  const settings = [
    {
      setting: 'in-sample',
      fit: paths.corpus,
      evaluate: paths.corpus,
      label: 'musiccaps_distilled.csv',
    },
    {
      setting: 'held-out',
      fit: halfA,
      evaluate: halfB,
      label: `half A (${halves.a} rows) → half B (${halves.b} rows)`,
    },
  ];

  for (const s of settings) {
    const corpus = await readTagCorpus({ path: s.evaluate, taxonomy });
    const reference: Reference = { source: s.evaluate, tags: corpus.tags };
    for (const preset of [undefined, 'notebook'] as const) {
      const generator = preset ? `tagflow, preset ${preset}` : 'tagflow default';
      const result = await tagflowRun({
        name: `peer-${s.setting}-${preset ?? 'default'}`,
        dir: tmp,
        pack,
        countsReference: s.fit,
        evaluateReference: s.setting === 'held-out' ? s.evaluate : undefined,
        preset,
      });
      const metrics = score(result.rows, reference);
      const own = result.report.byMode.latent;
      const gap = largestGap(metrics, own);
      if (gap > 1e-9) {
        notes.push(
          `${s.setting}, ${generator}: this scoring differs from the run's report/metrics.json (byMode.latent) by up to ${gap.toExponential(2)}.`,
        );
      }
      lines.push({
        setting: s.setting,
        generator,
        metrics,
        generated: tagflowLatentRows,
        note: `run ${result.seconds.toFixed(0)} s`,
      });
    }

    await pythonSetup;
    const sdvCsv = join(tmp, `sdv-${s.setting}.csv`);
    log(`SDV GaussianCopula: fit on ${s.fit}, ${latentRows} rows`);
    const timing = await sdvSample(s.fit, sdvCsv);
    const sampled = await readTagCorpus({ path: sdvCsv, taxonomy });
    const kept = dedupe(sampled.tags, taxonomy);
    const empty = sampled.tags.filter((t) => t.length === 0).length;
    lines.push({
      setting: s.setting,
      generator: `SDV GaussianCopula (fit ${timing.fitSeconds.toFixed(1)} s)`,
      metrics: score(kept, reference),
      generated: sampled.rows,
      note: `sdv ${timing.sdv}, sample ${timing.sampleSeconds.toFixed(1)} s${empty ? `, ${empty} rows with no tags` : ''}`,
    });
    log(`SDV: fit ${timing.fitSeconds.toFixed(1)} s, ${kept.length} of ${sampled.rows} rows kept`);
  }

  // Context for the held-out rows: the training half itself, scored on the other half.
  const a = await readTagCorpus({ path: halfA, taxonomy });
  const b = await readTagCorpus({ path: halfB, taxonomy });
  const statsA = new TagSetStats(taxonomy, {
    reference: referenceTagSetStats(taxonomy, { source: 'B', tags: b.tags }).distinct.keys,
  });
  for (const tags of a.tags) statsA.add(tags);
  const ceiling = compareTagSetStats(
    statsA,
    referenceTagSetStats(taxonomy, { source: 'B', tags: b.tags }),
  );
  lines.push({
    setting: 'held-out',
    generator: 'half A itself (noise ceiling)',
    metrics: ceiling,
    generated: a.rows,
    note: 'the training rows, no generator',
  });
} finally {
  if (args.keep) log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}

const f3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const table = [
  '| setting | generator | co-occurrence r | mean JS | max W1 | novel | unique ratio | rows | generated | notes |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...lines.map(
    (l) =>
      `| ${l.setting} | ${l.generator} | ${f3(l.metrics.cooccurrenceR)} | ${f3(l.metrics.meanJs)} | ${f3(l.metrics.maxW1)} | ${f3(l.metrics.novelty)} | ${f3(l.metrics.uniqueRatio)} | ${l.metrics.rows} | ${l.generated} | ${l.note} |`,
  ),
];
const text = [
  `ConceptCaps: vae_final.pth, counts fitted on the corpus (in-sample: musiccaps_distilled.csv, ` +
    `${catalogue.rows} catalogue rows; held-out: a seeded half A, scored on the other half B), seed ${seed}. ` +
    `tagflow: latent rows of \`tagflow run\` (embedded) after its dedupe; SDV: ${latentRows} sampled rows, ` +
    'deduplicated by tag set (first kept). Both scored by core/evaluation against the reference ' +
    '(in-sample: the whole corpus; held-out: half B). `novel`: share of the distinct generated tag ' +
    'sets absent from the reference; `rows`: after dedupe; `generated`: before.',
  '',
  ...table,
  ...(notes.length ? ['', ...notes] : []),
].join('\n');
console.log(text);
if (args.out) {
  mkdirSync(dirname(resolve(args.out)), { recursive: true });
  writeFileSync(
    args.out,
    `# Peer quality: tagflow vs SDV GaussianCopula\n\nGenerated by \`npx tsx bench/peer-quality.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\`.\n\n${text}\n`,
  );
}
