// `tagflow server`: a local Temporal dev server and a worker for both queues that outlive the
// runs, in one background process, on the project's state (<project>/.tagflow/temporal, the
// SQLite file embedded runs use too), with the Web UI. While it is up, `tagflow run` (and
// status, doctor, schedule) submit to it instead of starting their own server and worker, so
// a run costs only its own work, and the UI link of a run keeps working after it.
//
// The process writes <project>/.tagflow/server.json once it serves (address, UI, pid) and
// removes it when it stops; a file whose pid is gone is stale and ignored.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processAlive } from '../core/process-alive.js';
import type { ControlAddress, ControlEndpoint, ControlHandler } from './control-endpoint.js';

export interface LocalServerInfo {
  pid: number;
  address: string;
  namespace: string;
  uiUrl?: string;
  /** The SQLite state folder. */
  dataDir: string;
  startedAt: string;
  /** Where `tagflow run` hands its runs (workers/control-endpoint.ts, cli/local-run.ts). */
  control?: ControlAddress;
}

export function projectStateDir(dir: string = process.cwd()): string {
  return join(resolve(dir), '.tagflow');
}

export function localServerFile(dir?: string): string {
  return join(projectStateDir(dir), 'server.json');
}

export function localServerLog(dir?: string): string {
  return join(projectStateDir(dir), 'server.log');
}

/** The project's background server when one is up (its file names a live process). */
export function localServer(dir?: string): LocalServerInfo | undefined {
  let info: LocalServerInfo;
  try {
    info = JSON.parse(readFileSync(localServerFile(dir), 'utf8')) as LocalServerInfo;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(info.pid) || !processAlive(info.pid)) return undefined;
  return info;
}

/**
 * The body of the background process: dev server (with the UI unless `ui` is false) and a
 * worker for both queues on <dir>/.tagflow/temporal, until SIGTERM or SIGINT.
 */
export async function serveLocally(params: {
  dir?: string;
  ui?: boolean;
  device?: 'cpu' | 'cuda';
  threads?: number;
  /** Runs handed over by `tagflow run` (its control endpoint is on when given). */
  onRun?: ControlHandler;
}): Promise<void> {
  const dataDir = join(projectStateDir(params.dir), 'temporal');
  // Loaded here: the commands that only look for a running server stay light.
  const { startServerWithWorkers } = await import('./embedded.js');
  const { server, connection, workers } = await startServerWithWorkers({
    dataDir,
    ui: params.ui ?? true,
    device: params.device,
    threads: params.threads,
  });
  const running = workers.run();
  let control: ControlEndpoint | undefined;
  if (params.onRun) {
    const { startControlEndpoint } = await import('./control-endpoint.js');
    control = await startControlEndpoint(params.onRun);
  }
  const file = localServerFile(params.dir);
  const info: LocalServerInfo = {
    pid: process.pid,
    address: server.address,
    namespace: connection.namespace,
    uiUrl: server.uiUrl,
    dataDir,
    startedAt: new Date().toISOString(),
    ...(control ? { control: { port: control.port, token: control.token } } : {}),
  };
  const temp = `${file}.${process.pid}.tmp`;
  // Owner-only: it holds the control endpoint's token.
  writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
  console.error(
    `tagflow server: serving ${server.address}${server.uiUrl ? `, UI ${server.uiUrl}` : ''} (pid ${process.pid})`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      console.error(`tagflow server: ${signal} received, stopping`);
      removeIfOurs(file);
      await control?.close();
      await workers.shutdown();
      await server.stop();
    })();
    return stopping;
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  try {
    await running;
  } finally {
    await stop('worker stopped');
  }
}

function removeIfOurs(file: string): void {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LocalServerInfo;
    if (info.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}
