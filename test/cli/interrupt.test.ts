// An embedded `tagflow run` as a user interrupts it: Ctrl-C stops it within seconds, says the
// run is resumable and how, and the same command then completes it; a second run on a state
// folder another process holds is refused at once, naming that process. A failing run keeps
// the worker's log off the terminal (in .tagflow/worker.log, named on failure).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO_ROOT, runCli, TAGFLOW_BIN, tempDir } from '../helpers/pipeline.js';

const dir = tempDir('interrupt');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const embedded = {
  TEMPORAL_ADDRESS: undefined,
  TAGFLOW_ACTIVITY_LOG: undefined,
  TAGFLOW_FAULTS: undefined,
};
const demo = (file: string) => join(REPO_ROOT, 'data', 'demo', file);

/** A project folder with a demo config (larger, so that a run lasts a few seconds). */
function project(name: string, changes: Record<string, unknown> = {}) {
  const cwd = join(dir, name);
  mkdirSync(cwd, { recursive: true });
  const config = join(cwd, 'run.yaml');
  writeFileSync(
    config,
    stringify({
      name,
      taxonomy: demo('taxonomy.json'),
      catalogue: { path: demo('catalogue.csv') },
      counts: { mode: 'fit', reference: demo('corpus.csv') },
      model: { pack: join(REPO_ROOT, 'models', 'demo') },
      generation: { latent: { rows: 30000 } },
      ...changes,
    }),
  );
  return { cwd, config, args: ['run', '--config', config, '--no-progress', '--no-ui'] };
}

function spawnCli(args: string[], cwd: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(embedded)) delete env[k];
  const child = spawn(process.execPath, [TAGFLOW_BIN, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child: child as ChildProcess, output: () => output, exited };
}

async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tagflow run, interrupted (embedded mode)', () => {
  it('stops within 5 s of Ctrl-C, names the resuming command, and the rerun completes', async () => {
    const { cwd, config, args } = project('ctrl-c');
    const run = spawnCli(args, cwd);
    await until(() => /generate: running/.test(run.output()), 120_000, 'generation');
    // A second run on the same folder is refused at once, naming the first.
    const second = await runCli(args, { cwd, env: embedded, timeoutMs: 30_000 });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(
      new RegExp(`in use by another tagflow process \\(pid ${run.child.pid}: tagflow run`),
    );

    const signalled = Date.now();
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(code).toBe(130);
    expect(run.output()).toMatch(/interrupted: run ctrl-c is resumable/);
    expect(run.output()).toContain(`resume it with: tagflow run --config ${config}`);
    expect(run.output()).not.toMatch(/UNAVAILABLE|\n\s+at /);

    const rerun = await runCli(args, { cwd, env: embedded });
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/^dataset: file:\/\//m);
  }, 240_000);

  it('keeps the worker log off the terminal and names it when the run fails', async () => {
    const { cwd, args } = project('quiet');
    writeFileSync(join(cwd, 'a-file'), '');
    const result = await runCli([...args, '--target', join(cwd, 'a-file', 'out')], {
      cwd,
      // The SDK's default level: its activity-failure warnings are what must stay off-screen.
      env: { ...embedded, TAGFLOW_LOG_LEVEL: 'WARN' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tagflow: output\.target: .*a-file is a file/m);
    expect(result.stderr).toContain('logs: .tagflow/worker.log (worker)');
    expect(result.stdout + result.stderr).not.toMatch(/\[WARN\]|\n\s+at /);
    expect(existsSync(join(cwd, '.tagflow', 'worker.log'))).toBe(true);
    expect(readFileSync(join(cwd, '.tagflow', 'worker.log'), 'utf8')).toMatch(
      /\[WARN\] Activity failed/,
    );
  }, 120_000);
});
