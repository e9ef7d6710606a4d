// Plumbing for the pipeline's integration tests: run configurations over the real inputs
// (ConceptCaps from ../shared, the bundled demo), worker processes started with the real
// `tagflow worker` command, and ways to compare published datasets and read activity logs.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  parseRunConfig,
  type RunConfig,
  type RunConfigInput,
  resolveRunConfig,
} from '../../core/config.js';
import { loadTaxonomy } from '../../core/inputs/index.js';
import { importCheckpoint } from '../../models/import-checkpoint.js';
import { conceptcaps, conceptcapsCatalogue } from './conceptcaps.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const TAGFLOW_BIN = join(REPO_ROOT, 'bin', 'tagflow.js');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tagflow-${prefix}-`));
}

let conceptcapsPack: Promise<string> | undefined;

/**
 * The ConceptCaps checkpoint imported once per process (test file, bench) into a temp model
 * pack, removed when the process exits.
 */
export function conceptcapsPackDir(): Promise<string> {
  conceptcapsPack ??= (async () => {
    const root = tempDir('cc-pack');
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    const outDir = join(root, 'pack');
    await importCheckpoint({
      checkpointPath: conceptcaps('vae_final.pth'),
      taxonomy: loadTaxonomy(conceptcaps('concepts_to_tags.json')),
      outDir,
    });
    return outDir;
  })();
  return conceptcapsPack;
}

/** A validated config with absolute paths; `dir` gets the artifacts and the output. */
export function makeConfig(input: RunConfigInput, dir: string): RunConfig {
  const config = resolveRunConfig(
    parseRunConfig({ artifacts: join(dir, 'artifacts'), ...input }),
    dir,
  );
  if (!input.output?.target)
    config.output.target = pathToFileURL(join(dir, 'out', config.name)).href;
  return config;
}

/** The ConceptCaps run of the notebook: real catalogue, counts fitted on the reference corpus. */
export async function conceptcapsConfig(
  name: string,
  dir: string,
  overrides: Partial<RunConfigInput> = {},
): Promise<RunConfig> {
  return makeConfig(
    {
      name,
      taxonomy: conceptcaps('concepts_to_tags.json'),
      catalogue: conceptcapsCatalogue(),
      counts: { mode: 'fit', reference: conceptcaps('musiccaps_distilled.csv') },
      model: { pack: await conceptcapsPackDir() },
      ...overrides,
    },
    dir,
  );
}

/** The bundled demo inputs (small: fast runs). */
export function demoConfig(
  name: string,
  dir: string,
  overrides: Partial<RunConfigInput> = {},
): RunConfig {
  return makeConfig(
    {
      name,
      taxonomy: join(REPO_ROOT, 'data/demo/taxonomy.json'),
      catalogue: { path: join(REPO_ROOT, 'data/demo/catalogue.csv') },
      counts: { mode: 'fit', reference: join(REPO_ROOT, 'data/demo/corpus.csv') },
      model: { pack: join(REPO_ROOT, 'models/demo') },
      ...overrides,
    },
    dir,
  );
}

/** sha256 of every file under a published dataset's data/ folder, by name. */
export function datasetDigest(target: string): Record<string, string> {
  const dir = join(fileURLToPath(target), 'data');
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex'),
      ]),
  );
}

export interface ActivityLogLine {
  activity: string;
  key?: string;
  event: string;
  attempt?: number;
  pid: number;
  startBatch?: number;
  at: number;
}

export function readActivityLog(path: string): ActivityLogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ActivityLogLine);
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the process wrote to stderr/stdout so far. */
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `tagflow worker` as its own process, against `address`, serving queues `<prefix>-*`. */
export function startWorkerProcess(params: {
  address: string;
  queuePrefix: string;
  env?: Record<string, string>;
  args?: string[];
  /** Its working folder (default: this process's). */
  cwd?: string;
}): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      TAGFLOW_BIN,
      'worker',
      '--queue-prefix',
      params.queuePrefix,
      '--shutdown-grace',
      '2',
      ...(params.args ?? []),
    ],
    {
      cwd: params.cwd,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: params.address,
        TEMPORAL_NAMESPACE: 'default',
        ...params.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited, kill: (signal = 'SIGTERM') => child.kill(signal) };
}

export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the `tagflow` CLI to completion; resolves with its exit code and output. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const env = { ...process.env, ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, [TAGFLOW_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tagflow ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 240_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}
