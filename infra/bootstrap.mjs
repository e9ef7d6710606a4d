#!/usr/bin/env node
// Makes a fresh clone runnable: `npm start` and `npm test` call this first (prestart/pretest).
// Node built-ins only: it runs before any npm package is installed.
//
//   node infra/bootstrap.mjs                   npm packages + Temporal CLI
//   node infra/bootstrap.mjs --python-checks   ...and the Python `datasets` library the tests
//                                              use to prove published folders load, and the
//                                              S3-compatible server (moto) the S3 tests run
//
// Each step is skipped when its stamp says it is already done, so a second run is instant.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureTemporalCli,
  findPythonWithPip,
  PROJECT_ROOT,
  TemporalCliError,
} from './temporal-cli.mjs';

/** Python packages for checks only (never needed to run tagflow itself). */
export const PYTHON_CHECK_PACKAGES = ['datasets==5.2.0'];

export const PYTHON_ENV_DIR = join(PROJECT_ROOT, '.tagflow', 'python');

/**
 * A real S3-compatible server for the tests: moto in server mode (its S3 part and the Flask
 * server, not `moto[server]`, which brings every AWS service's dependencies: 320 MB against
 * 140 MB), in an environment of its own so that it never changes the checks' one.
 */
export const S3_SERVER_PACKAGES = ['moto[s3]==5.2.6', 'flask==3.1.3', 'flask-cors==6.0.5'];

export const S3_SERVER_ENV_DIR = join(PROJECT_ROOT, '.tagflow', 's3-server');

/** The moto server's command in its environment. */
export function s3ServerCommand() {
  return join(S3_SERVER_ENV_DIR, 'bin', 'moto_server');
}

function log(message) {
  process.stderr.write(`tagflow bootstrap: ${message}\n`);
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The environment `npm ci` runs with. onnxruntime-node's install script has one job on Linux
 * x64: download its CUDA libraries from nuget.org (the CPU ones ship in the npm package), which
 * fails offline. package.json's `allowScripts` denies that script where npm supports the field
 * (the npm 11.19 here does; older npm runs every install script), and this variable, which the
 * script reads itself, skips the download either way. Not the npm config key
 * `onnxruntime-node-install` (in .npmrc or as npm_config_onnxruntime_node_install): npm 11
 * warns about config keys it does not know and says it will stop passing them on.
 */
export function npmCiEnv(env = process.env) {
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
}

function ensureNpmPackages() {
  const lock = join(PROJECT_ROOT, 'package-lock.json');
  const stamp = join(PROJECT_ROOT, 'node_modules', '.tagflow-lock-sha256');
  const want = sha256(readFileSync(lock));
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('installing npm packages (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    env: npmCiEnv(),
  });
  writeFileSync(stamp, want);
}

/** Path of the interpreter in the project's Python environment for checks. */
export function checksPython() {
  return join(PYTHON_ENV_DIR, 'bin', 'python');
}

/** A Python venv at `dir` holding `packages`, built once (its stamp lists them). */
function ensurePythonEnv(dir, packages, purpose) {
  const stamp = join(dir, '.tagflow-packages');
  const want = packages.join('\n');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  const python = findPythonWithPip();
  if (!python) {
    throw new Error(
      `${purpose}, which needs Python 3 with pip and venv. Install them and run again.`,
    );
  }
  // A venv records its own absolute path, so it is built in place; the stamp, written last,
  // marks it complete, and an interrupted build is thrown away on the next run.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(PROJECT_ROOT, '.tagflow'), { recursive: true });
  log(`creating a Python environment in ${dir} (${want.replaceAll('\n', ', ')})`);
  execFileSync(python, ['-m', 'venv', dir], { stdio: 'inherit' });
  execFileSync(
    join(dir, 'bin', 'python'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...packages],
    { stdio: 'inherit' },
  );
  writeFileSync(stamp, want);
}

export function ensurePythonChecks() {
  ensurePythonEnv(
    PYTHON_ENV_DIR,
    PYTHON_CHECK_PACKAGES,
    "The tests check published datasets with Python's `datasets` library",
  );
  ensurePythonEnv(
    S3_SERVER_ENV_DIR,
    S3_SERVER_PACKAGES,
    'The S3 tests run a real S3-compatible server (moto)',
  );
}

function main(argv) {
  ensureNpmPackages();
  if (!process.env.TEMPORAL_ADDRESS) {
    const cli = ensureTemporalCli({ log });
    if (cli.source === 'installed') log(`Temporal CLI installed at ${cli.path}`);
  }
  if (argv.includes('--python-checks')) ensurePythonChecks();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    const message =
      err instanceof TemporalCliError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`tagflow bootstrap failed: ${message}\n`);
    process.exit(1);
  }
}
