import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { freePort, portLostAtStartup, startDevServer } from '../../infra/dev-server.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of `temporal server start-dev` processes whose command line mentions `marker`. */
function serverPids(marker: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter(
      (line) =>
        line.includes('start-dev') && line.includes(marker) && !line.includes('process-guard'),
    )
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return predicate();
}

describe('Temporal dev server', () => {
  it('picks free ports, persists to SQLite across a restart, and keeps its log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tagflow-devserver-'));
    const first = await startDevServer({ dataDir });
    expect(first.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(existsSync(first.dbFile)).toBe(true);
    // Write-ahead log (SQLITE_PRAGMAS): commits need no fsync each.
    expect(existsSync(`${first.dbFile}-wal`)).toBe(true);
    const workflowId = `persisted-${randomUUID()}`;
    let connection = await Connection.connect({ address: first.address });
    // A workflow that no worker runs: it stays RUNNING, and must still be there after a restart.
    await new Client({ connection }).workflow.start('healthCheck', {
      taskQueue: 'nobody',
      workflowId,
      args: [[]],
    });
    await connection.close();
    await first.stop();
    expect(alive(first.pid)).toBe(false);

    const second = await startDevServer({ dataDir, port: first.port });
    try {
      connection = await Connection.connect({ address: second.address });
      const description = await new Client({ connection }).workflow
        .getHandle(workflowId)
        .describe();
      expect(description.status.name).toBe('RUNNING');
      await connection.close();
    } finally {
      await second.stop();
    }
    expect(readFileSync(first.logFile, 'utf8').length).toBeGreaterThanOrEqual(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the Web UI when asked', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tagflow-devserver-'));
    const server = await startDevServer({ dataDir, ui: true });
    try {
      expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(server.uiUrl!);
      expect(response.status).toBe(200);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a port that is already in use, naming it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tagflow-devserver-'));
    const taken = await freePort();
    const blocker = await startDevServer({ dataDir: join(dataDir, 'a'), port: taken });
    try {
      await expect(startDevServer({ dataDir: join(dataDir, 'b'), port: taken })).rejects.toThrow(
        new RegExp(`127\\.0\\.0\\.1:${taken}: the port is in use`),
      );
    } finally {
      await blocker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('knows which port a server lost at start-up, so a randomly chosen one can be picked again', () => {
    // The line the CLI logs when its HTTP API port was taken between choosing and binding it.
    const message =
      'The Temporal dev server exited during start-up (code 1). Last lines of dev-server.log:\n' +
      '{"level":"ERROR","msg":"failed listening for HTTP API on 127.0.0.1:46269: listen tcp 127.0.0.1:46269: bind: address already in use"}\n' +
      '{"level":"ERROR","msg":"listen tcp 127.0.0.1:51000: bind: address already in use"}';
    expect(portLostAtStartup(message)).toBe(51000);
    expect(portLostAtStartup('The Temporal dev server exited during start-up (code 1).')).toBe(
      undefined,
    );
  });

  it('leaves no server behind when its owner is killed with SIGKILL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `tagflow-orphan-${randomUUID().slice(0, 8)}-`));
    const owner = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'owner-of-dev-server.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolveLine, reject) => {
      createInterface({ input: owner.stdout! }).once('line', resolveLine);
      owner.once('exit', (code) => reject(new Error(`owner exited early with ${code}`)));
    });
    const { pid: guardPid } = JSON.parse(line) as { pid: number };
    const servers = serverPids(dataDir);
    expect(servers.length).toBe(1);
    owner.kill('SIGKILL');
    expect(await waitFor(() => serverPids(dataDir).length === 0 && !alive(guardPid), 20_000)).toBe(
      true,
    );
    rmSync(dataDir, { recursive: true, force: true });
  });
});
