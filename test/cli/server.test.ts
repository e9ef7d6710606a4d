// `tagflow server start|status|stop` with the real dev server: a background server and worker
// on the project's .tagflow/temporal that `tagflow run` uses while it is up, whose UI link
// still answers after the run, and that stops leaving no server behind.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { runningDevServer } from '../../infra/dev-server.js';
import { REPO_ROOT, runCli, tempDir, waitUntil } from '../helpers/pipeline.js';

const project = tempDir('server');
const local = { TEMPORAL_ADDRESS: undefined };
const cli = (args: string[]) => runCli(args, { cwd: project, env: local, timeoutMs: 180_000 });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  await cli(['server', 'stop']);
  const { rmSync } = await import('node:fs');
  rmSync(project, { recursive: true, force: true });
});

describe('tagflow server', () => {
  it('starts in the background, serves runs and the UI after them, and stops', async () => {
    const before = await cli(['server', 'status']);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain('tagflow server: not running');

    const start = await cli(['server', 'start']);
    expect(start.code, start.stderr).toBe(0);
    const pid = Number(/started \(pid (\d+)\)/.exec(start.stdout)?.[1]);
    const address = /address\s+(\S+)/.exec(start.stdout)?.[1];
    const ui = /UI\s+(http:\/\/\S+)/.exec(start.stdout)?.[1];
    expect(alive(pid)).toBe(true);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(start.stdout).toContain('state    .tagflow/temporal');

    // Its control endpoint's token is for the project's owner only.
    const serverFile = join(project, '.tagflow', 'server.json');
    expect(statSync(serverFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(serverFile, 'utf8')).control.port).toBeGreaterThan(0);

    const twice = await cli(['server', 'start']);
    expect(twice.stdout).toContain(`already running (pid ${pid})`);
    const status = await cli(['server', 'status']);
    expect(status.stdout).toContain(`tagflow server: running (pid ${pid}`);
    expect(status.stdout).not.toContain('does not answer');

    // A run while it is up goes to it: the link is the server's UI, and the run is there after.
    const name = `served-${process.pid}`;
    const run = await cli([
      'run',
      '--config',
      join(REPO_ROOT, 'data', 'demo', 'run.yaml'),
      '--name',
      name,
      '--no-progress',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Temporal UI: ${ui}/namespaces/default/workflows/tagflow-${name}`);
    expect(run.stdout).toMatch(/^dataset: file:\/\//m);
    const connection = await Connection.connect({ address: address as string });
    try {
      const described = await new Client({ connection }).workflow
        .getHandle(`tagflow-${name}`)
        .describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
    }
    expect((await fetch(`${ui}/namespaces/default/workflows/tagflow-${name}`)).status).toBe(200);
    // A run the server refuses fails in the command as it would without the server.
    const missing = await cli(['run', '--config', 'missing.yaml', '--no-progress']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('tagflow: config missing.yaml: cannot read file');
    const statusOfRun = await cli(['status', name]);
    expect(statusOfRun.code, statusOfRun.stderr).toBe(0);

    const stop = await cli(['server', 'stop']);
    expect(stop.stdout).toContain(`tagflow server: stopped (pid ${pid})`);
    expect(alive(pid)).toBe(false);
    await waitUntil(
      () => runningDevServer(join(project, '.tagflow', 'temporal')) === undefined,
      20_000,
      'the dev server to stop',
    );
    const after = await cli(['server', 'status']);
    expect(after.stdout).toContain('tagflow server: not running');
    const again = await cli(['server', 'stop']);
    expect(again.stdout).toContain('tagflow server: not running');
  }, 240_000);
});
