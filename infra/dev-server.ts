// Starts and stops the Temporal dev server (`temporal server start-dev`) for embedded runs
// and tests: free ports picked at run time, SQLite persistence in a folder the caller names,
// a readiness wait, the server's log kept on disk, and a clean shutdown that also happens
// when the owner dies (see process-guard.mjs).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { devServerPidFile, waitForPreviousServer } from './dev-server-owner.js';
import { ensureTemporalCli, PROJECT_ROOT } from './temporal-cli.mjs';

export { devServerOwner, devServerPidFile, runningDevServer } from './dev-server-owner.js';

export interface DevServerOptions {
  /** Folder for the SQLite file (`temporal.sqlite`) and the server log (`dev-server.log`). */
  dataDir: string;
  /** Serve the Web UI (default false: headless). */
  ui?: boolean;
  /** gRPC port; default a free port chosen now. Pass the old one to restart in place. */
  port?: number;
  /** Web UI port; default a free port chosen now (only with `ui`). */
  uiPort?: number;
  /** Bind address (default 127.0.0.1). */
  ip?: string;
  /** Extra namespaces to create at launch; `default` always exists. */
  namespaces?: string[];
  /** Give up waiting for readiness after this long (default 60 s). */
  readyTimeoutMs?: number;
  /** A `temporal` binary; default: found or installed by infra/temporal-cli.mjs. */
  cliPath?: string;
  /**
   * How long to wait for a server still running on the same `dataDir` (one that is shutting
   * down after its run, say) before giving up (default 20 s): two servers must never share
   * one SQLite file.
   */
  previousServerWaitMs?: number;
}

export interface DevServer {
  address: string;
  port: number;
  uiUrl?: string;
  uiPort?: number;
  dbFile: string;
  logFile: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period); safe to call twice. */
  stop(): Promise<void>;
}

/** Asks the kernel for a free TCP port on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read a free port'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

/** Rejects with a clear message when `port` is already taken (a server there would answer for us). */
export async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolveFree, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Cannot start the Temporal dev server on ${host}:${port}: the port is in use (is another server running there?)`
            : `Cannot bind ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolveFree()));
  });
}

/**
 * The SQLite file in write-ahead-log mode, synced at checkpoints rather than at every commit:
 * each history event the server writes no longer waits for an fsync (several per workflow task
 * round trip). A commit survives the server or the machine's processes being killed; only
 * an operating-system crash or power cut can lose the last ones (SQLite's documented trade-off
 * for WAL with synchronous=NORMAL), which a local dev server can afford.
 */
export const SQLITE_PRAGMAS: Record<string, string> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resolves whether something accepts TCP connections on `host:port` now. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once('error', () => resolveProbe(false));
  });
}

/**
 * Waits until the server answers a describeNamespace. The port is probed with plain TCP
 * first: a gRPC channel refused once waits out grpc-js's reconnect backoff (1 s) before it
 * tries again, which made every start about 0.7 s slower than the server itself; the channel
 * used once the port accepts backs off for at most 100 ms.
 */
async function waitForReady(
  host: string,
  port: number,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
) {
  const address = `${host}:${port}`;
  const deadline = Date.now() + timeoutMs;
  const exited = () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The Temporal dev server exited during start-up (code ${child.exitCode ?? child.signalCode}). ` +
          `Last lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
  };
  // Loaded while the server boots (the launcher spawns it before the client is needed).
  const { Connection } = await import('@temporalio/client');
  let lastError: unknown;
  while (Date.now() < deadline) {
    exited();
    if (!(await accepts(host, port))) {
      lastError = new Error(`nothing accepts connections on ${address} yet`);
      await new Promise((r) => setTimeout(r, 10));
      continue;
    }
    try {
      const connection = await Connection.connect({
        address,
        connectTimeout: 1_000,
        channelArgs: {
          'grpc.initial_reconnect_backoff_ms': 20,
          'grpc.max_reconnect_backoff_ms': 100,
        },
      });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  exited();
  throw new Error(
    `The Temporal dev server at ${address} was not ready after ${timeoutMs} ms ` +
      `(${lastError instanceof Error ? lastError.message : String(lastError)}). Log: ${logFile}\n${tail(logFile)}`,
  );
}

function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveExit();
      return;
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolveExit();
    });
  });
}

let prestarted: { dataDir: string; ui: boolean; server: Promise<DevServer> } | undefined;

/**
 * Starts a dev server now, for a startDevServer call with the same `dataDir` and `ui` (and no
 * fixed port) that comes later in this process: the `tagflow` launcher starts the embedded
 * server this way while the command's modules load. Unclaimed, it stops with the process.
 */
export function prestartDevServer(options: { dataDir: string; ui: boolean }): void {
  if (prestarted) return;
  const server = startDevServer({ dataDir: options.dataDir, ui: options.ui });
  server.catch(() => {}); // the claiming call sees the failure
  prestarted = { dataDir: resolve(options.dataDir), ui: options.ui, server };
}

/** Stops a server prestartDevServer started that nothing claimed (the command failed early). */
export async function stopUnclaimedDevServer(): Promise<void> {
  const early = prestarted;
  prestarted = undefined;
  if (!early) return;
  try {
    await (await early.server).stop();
  } catch {
    // it never started
  }
}

/** Starts `temporal server start-dev` and resolves once it answers on its gRPC port. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const early = prestarted;
  if (
    early &&
    early.dataDir === resolve(options.dataDir) &&
    early.ui === Boolean(options.ui) &&
    options.port === undefined &&
    options.uiPort === undefined
  ) {
    prestarted = undefined;
    return early.server;
  }
  // A port found free can be taken by another process before the server binds it (tests and
  // runs start servers side by side; the CLI picks its HTTP and metrics ports the same way).
  // When a port chosen at random is lost like that, start again with fresh ones; a port the
  // caller named is never swapped for another.
  const fixed = new Set([options.port, options.uiPort].filter((p) => p !== undefined));
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(options);
    } catch (err) {
      const lost = portLostAtStartup((err as Error).message);
      if (lost === undefined || fixed.has(lost) || attempt === 3) throw err;
    }
  }
}

/**
 * The port a dev server could not bind, from its start-up failure (which quotes the log's
 * last lines; the log is appended across attempts, so the newest such line counts).
 */
export function portLostAtStartup(message: string): number | undefined {
  const lines = [...message.matchAll(/listen tcp \S*:(\d+): bind: address already in use/g)];
  const last = lines.at(-1);
  return last ? Number(last[1]) : undefined;
}

async function startDevServerOnce(options: DevServerOptions): Promise<DevServer> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  await waitForPreviousServer(dataDir, options.previousServerWaitMs ?? 20_000);
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const uiPort = options.ui ? (options.uiPort ?? (await freePort(ip))) : undefined;
  await assertPortFree(ip, port);
  if (uiPort !== undefined) await assertPortFree(ip, uiPort);
  const dbFile = join(dataDir, 'temporal.sqlite');
  const logFile = join(dataDir, 'dev-server.log');
  const cli = options.cliPath ?? ensureTemporalCli().path;

  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--db-filename',
    dbFile,
    '--log-format',
    'json',
    '--log-level',
    'warn',
  ];
  for (const [key, value] of Object.entries(SQLITE_PRAGMAS))
    args.push('--sqlite-pragma', `${key}=${value}`);
  if (uiPort !== undefined) args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  else args.push('--headless');
  for (const ns of options.namespaces ?? []) args.push('--namespace', ns);

  // Append, so a restart on the same folder keeps the earlier run's log for debugging.
  const logFd = openSync(logFile, 'a');
  const guard = join(PROJECT_ROOT, 'infra', 'process-guard.mjs');
  const child = spawn(process.execPath, [guard, String(process.pid), cli, ...args], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const pidFile = devServerPidFile(dataDir);
  if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
  const removePidFile = () => {
    try {
      if (readFileSync(pidFile, 'utf8').trim() === String(child.pid)) rmSync(pidFile);
    } catch {
      // gone already
    }
  };
  child.once('exit', removePidFile);

  const address = `${ip}:${port}`;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
      await waitForExit(child, 15_000);
      removePidFile();
    })();
    return stopped;
  };
  // A synchronous last resort when the owner exits without calling stop().
  const killOnExit = () => child.kill('SIGTERM');
  process.on('exit', killOnExit);

  try {
    await waitForReady(ip, port, child, logFile, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    port,
    uiPort,
    uiUrl: uiPort !== undefined ? `http://${ip}:${uiPort}` : undefined,
    dbFile,
    logFile,
    pid: child.pid ?? -1,
    stop,
  };
}
