// Runs Python with Hugging Face `datasets` (the project's .tagflow/python environment),
// offline and with a private HF_HOME, to prove that what we publish loads the way users
// load it. Scripts print one JSON document on stdout.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PYTHON = join(repoRoot, '.tagflow', 'python', 'bin', 'python');

/** Runs `code` with `args` (sys.argv[1:]) and parses its stdout as JSON. */
export function runPython<T = unknown>(code: string, args: string[] = []): T {
  if (!existsSync(PYTHON)) {
    throw new Error(`no Python environment at ${PYTHON}; run npm test (it bootstraps one)`);
  }
  const out = execFileSync(PYTHON, ['-c', code, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HF_DATASETS_OFFLINE: '1',
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_DISABLE_PROGRESS_BARS: '1',
      HF_HOME: mkdtempSync(join(tmpdir(), 'tagflow-hf-home-')),
      PYTHONIOENCODING: 'utf-8',
    },
  });
  return JSON.parse(out) as T;
}
