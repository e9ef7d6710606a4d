// The bench-only Python environment of the notebook baseline (bench/notebook_baseline.py):
// PyTorch on the CPU, pandas, scipy and scikit-learn, in .tagflow/bench-python-torch, made
// once and reused. Never part of `npm test`.
//
// Which PyTorch: Debian's python3-torch (apt, 1.13 on bookworm), the faster of the two honest
// set-ups on this machine for the notebook's per-row loop (the other, PyPI's wheel, is a
// ~1 GB download with its CUDA libraries); the venv sees it through --system-site-packages,
// and pip adds pandas, scipy and scikit-learn against Debian's numpy 1.x (torch 1.13 is
// built against it). Without root or apt, install python3-torch yourself, or point
// TAGFLOW_BENCH_PYTHON at any Python that imports torch, pandas, scipy and sklearn.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const NOTEBOOK_VENV = join(REPO, '.tagflow', 'bench-python-torch');
const SYSTEM_PYTHON = '/usr/bin/python3';
/** Versions as measured; numpy stays Debian's (1.x) for torch 1.13. */
const PIP_PACKAGES = ['numpy<2', 'pandas==2.2.3', 'scipy==1.14.1', 'scikit-learn==1.5.2'];
const CHECK = 'import torch, pandas, scipy, sklearn';

function imports(python: string): boolean {
  if (!existsSync(python)) return false;
  return spawnSync(python, ['-c', CHECK], { stdio: 'ignore' }).status === 0;
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** A Python that runs the notebook baseline; made on first use. */
export function notebookPython(log: (line: string) => void): string {
  const given = process.env.TAGFLOW_BENCH_PYTHON;
  if (given) {
    if (!imports(given)) throw new Error(`TAGFLOW_BENCH_PYTHON=${given} cannot "${CHECK}"`);
    return given;
  }
  const python = join(NOTEBOOK_VENV, 'bin', 'python');
  if (imports(python)) return python;
  if (spawnSync(SYSTEM_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    log("installing Debian's python3-torch (apt-get, once)");
    try {
      run('apt-get', ['update', '-qq']);
      run('apt-get', [
        'install',
        '-y',
        '-qq',
        '--no-install-recommends',
        'python3-torch',
        'python3-venv',
      ]);
    } catch (err) {
      throw new Error(
        `could not install python3-torch with apt-get (${(err as Error).message}); install it, ` +
          'or set TAGFLOW_BENCH_PYTHON to a Python with torch, pandas, scipy and scikit-learn',
      );
    }
  }
  log(`creating ${NOTEBOOK_VENV} (once)`);
  if (!existsSync(python))
    run(SYSTEM_PYTHON, ['-m', 'venv', '--system-site-packages', NOTEBOOK_VENV]);
  run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', ...PIP_PACKAGES]);
  if (!imports(python)) throw new Error(`${NOTEBOOK_VENV}: still cannot "${CHECK}"`);
  return python;
}
