// A fresh `npm start` / `npm test` installs without npm warnings, and offline: onnxruntime-node's
// install script (which on Linux x64 only downloads CUDA libraries from nuget.org) never
// downloads anything. Cheap checks on the project's own files and npm's answers; no install.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { npmCiEnv } from '../../infra/bootstrap.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The environment minus npm's own `npm_config_*` variables (set when run by `npm test`). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_config_')),
  );
}

function npm(args: string[]) {
  return spawnSync('npm', args, { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
}

describe('quiet, offline npm install', () => {
  it('.npmrc holds only settings npm knows', () => {
    const { status, stderr } = npm(['config', 'get', 'save-exact']);
    expect(status).toBe(0);
    expect(stderr).not.toMatch(/Unknown project config/);
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).not.toMatch(/^\s*onnxruntime-node/m);
  });

  it("package.json's allowScripts denies onnxruntime-node's install script", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
  });

  it('every installed package with an install script is approved or denied', (ctx) => {
    const { status, stdout, stderr } = npm(['install-scripts', 'ls', '--json']);
    // npm before allowScripts (e.g. npm 10) has no such command and runs every script anyway.
    if (status !== 0 && /Unknown command/i.test(stdout + stderr)) ctx.skip();
    expect(status, stderr).toBe(0);
    const pending = (JSON.parse(stdout).allowScripts ?? []).map((p: { name: string }) => p.name);
    expect(pending, 'review them with `npm install-scripts ls`').toEqual([]);
  });

  it("bootstrap's npm ci makes onnxruntime-node's install script skip the download", () => {
    const env = npmCiEnv({ PATH: process.env.PATH });
    expect(env.ONNXRUNTIME_NODE_INSTALL).toBe('skip');
    // npm warns about (and will drop) unknown config keys passed as npm_config_* variables.
    expect(Object.keys(env).filter((key) => key.startsWith('npm_config_'))).toEqual([]);
    // Ask the installed script itself how it reads that environment (false: skip).
    const utils = join(
      dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')),
      'script',
      'install-utils.js',
    );
    const { status, stdout, stderr } = spawnSync(
      process.execPath,
      ['-e', `console.log(require(${JSON.stringify(utils)}).parseInstallFlag())`],
      { env, encoding: 'utf8' },
    );
    expect(status, stderr).toBe(0);
    expect(stdout.trim()).toBe('false');
  });
});
