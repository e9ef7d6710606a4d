// `tagflow server start|stop|status`: the project's background Temporal dev server and worker
// (workers/local-server.ts). `start` launches it as a detached process and returns once it
// serves; `tagflow run` then uses it instead of embedded mode.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ValidationError } from '../core/errors.js';
import { processAlive } from '../core/process-alive.js';
import { devServerOwner, runningDevServer } from '../infra/dev-server.js';
import {
  type LocalServerInfo,
  localServer,
  localServerLog,
  projectStateDir,
  serveLocally,
} from '../workers/local-server.js';
import { serveHandedRun } from './local-run.js';

const TAGFLOW_BIN = fileURLToPath(new URL('../bin/tagflow.js', import.meta.url));

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function describe(info: LocalServerInfo, dir: string): string[] {
  const state = relative(dir, info.dataDir) || info.dataDir;
  return [
    `  address  ${info.address}`,
    `  UI       ${info.uiUrl ?? '(off: started with --no-ui)'}`,
    `  state    ${state.startsWith('..') ? info.dataDir : state}`,
    `  log      ${relative(dir, localServerLog(dir))}`,
  ];
}

/** Is the server answering on its gRPC port? */
async function answers(address: string): Promise<boolean> {
  try {
    const { Connection } = await import('@temporalio/client');
    const connection = await Connection.connect({ address, connectTimeout: 2_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

export interface ServerStartOptions {
  ui: boolean;
  device: 'cpu' | 'cuda';
  dir?: string;
  /** Give up waiting for the server after this long (default 120 s). */
  timeoutMs?: number;
}

/** Starts the background server (or finds it up) and resolves with its description. */
export async function startLocalServer(
  options: ServerStartOptions,
): Promise<{ info: LocalServerInfo; started: boolean }> {
  const dir = resolve(options.dir ?? process.cwd());
  const up = localServer(dir);
  if (up) return { info: up, started: false };
  // A dev server whose run is still going is refused; one that is only stopping after its
  // run (its owner gone) is waited for by startDevServer.
  const embedded = runningDevServer(join(projectStateDir(dir), 'temporal'));
  const owner = embedded === undefined ? undefined : devServerOwner(embedded);
  if (embedded !== undefined && (owner === undefined || processAlive(owner))) {
    throw new ValidationError(
      `a run in embedded mode is using .tagflow/temporal (dev server pid ${embedded}); ` +
        'start the server when it has ended',
    );
  }
  mkdirSync(projectStateDir(dir), { recursive: true });
  const log = localServerLog(dir);
  const fd = openSync(log, 'a');
  const args = [TAGFLOW_BIN, 'server', 'serve', '--device', options.device];
  if (!options.ui) args.push('--no-ui');
  const child = spawn(process.execPath, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.unref();
  let exited: number | string | null = null;
  child.once('exit', (code, signal) => {
    exited = code ?? signal;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const info = localServer(dir);
    if (info && info.pid === child.pid) return { info, started: true };
    if (exited !== null)
      throw new Error(`tagflow server exited during start-up (${exited}); ${log}:\n${tail(log)}`);
    if (Date.now() > deadline) {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      throw new Error(`tagflow server did not come up in time; ${log}:\n${tail(log)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the background server; resolves with its pid, or undefined when none was up. */
export async function stopLocalServer(dir?: string): Promise<number | undefined> {
  const info = localServer(dir);
  if (!info) return undefined;
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (processAlive(info.pid)) {
    if (Date.now() > deadline) {
      process.kill(info.pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return info.pid;
}

export function serverCommand(print: (line: string) => void = (l) => console.log(l)): Command {
  const server = new Command('server').description(
    'a background Temporal dev server and worker for this project (.tagflow/temporal), with the UI, that `tagflow run` uses while it is up',
  );
  server
    .command('start')
    .description('start the background server and worker (returns once they serve)')
    .option('--no-ui', 'do not serve the Temporal Web UI')
    .addOption(
      new Option('--device <device>', 'inference device of its worker')
        .choices(['cpu', 'cuda'])
        .default('cpu'),
    )
    .action(async (options: { ui: boolean; device: 'cpu' | 'cuda' }) => {
      const dir = process.cwd();
      const { info, started } = await startLocalServer({ ...options, dir });
      print(
        started
          ? `tagflow server: started (pid ${info.pid}); \`tagflow run\` in this folder uses it`
          : `tagflow server: already running (pid ${info.pid})`,
      );
      for (const line of describe(info, dir)) print(line);
    });
  server
    .command('status')
    .description('is the background server up, where, and does it answer?')
    .action(async () => {
      const dir = process.cwd();
      const info = localServer(dir);
      if (!info) {
        print(
          'tagflow server: not running (`tagflow run` starts its own server and worker: embedded mode)',
        );
        return;
      }
      const ok = await answers(info.address);
      print(
        `tagflow server: running (pid ${info.pid}, since ${info.startedAt})${ok ? '' : ', but it does not answer yet'}`,
      );
      for (const line of describe(info, dir)) print(line);
    });
  server
    .command('stop')
    .description('stop the background server and worker (runs in it wait in .tagflow/temporal)')
    .action(async () => {
      const pid = await stopLocalServer(process.cwd());
      print(
        pid === undefined ? 'tagflow server: not running' : `tagflow server: stopped (pid ${pid})`,
      );
    });
  server
    .command('serve', { hidden: true })
    .description('the background process itself (what `start` launches)')
    .option('--no-ui', 'do not serve the Temporal Web UI')
    .option('--device <device>', 'inference device', 'cpu')
    .action(async (options: { ui: boolean; device: 'cpu' | 'cuda' }) => {
      await serveLocally({
        dir: process.cwd(),
        ui: options.ui,
        device: options.device,
        onRun: serveHandedRun,
      });
    });
  return server;
}
