// Which process holds a dev server's state folder: the pid file a server's process guard
// leaves in it, whether that process still runs and whose it is, and waiting for a server that
// is stopping (two servers must never share one SQLite file).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processAlive } from '../core/process-alive.js';

/** The file in a server's data folder that names the process running it (the guard's pid). */
export function devServerPidFile(dataDir: string): string {
  return join(resolve(dataDir), 'dev-server.pid');
}

/**
 * The pid of a dev server running on `dataDir` (its process guard), or undefined: the pid
 * file names a live process-guard whose command line names this folder's SQLite file.
 */
export function runningDevServer(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(devServerPidFile(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (
      !cmdline.includes('process-guard') ||
      !cmdline.includes(join(resolve(dataDir), 'temporal.sqlite'))
    )
      return undefined;
  } catch {
    // no /proc (not Linux): trust the live pid
  }
  return pid;
}

/** The pid of the process that started the dev server guarded by `guardPid`, if known. */
export function devServerOwner(guardPid: number): number | undefined {
  try {
    const args = readFileSync(`/proc/${guardPid}/cmdline`, 'utf8').split('\0');
    const at = args.findIndex((a) => a.endsWith('process-guard.mjs'));
    const owner = Number(args[at + 1]);
    return at >= 0 && Number.isInteger(owner) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** A process's command line, `tagflow …` for a tagflow process (Linux; else its pid). */
function commandOf(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const bin = args.findIndex((a) => /tagflow(\.js)?$|cli\/main\.[jt]s$/.test(a));
    return bin >= 0 ? ['tagflow', ...args.slice(bin + 1)].join(' ') : args.join(' ');
  } catch {
    return `pid ${pid}`;
  }
}

export async function waitForPreviousServer(dataDir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = runningDevServer(dataDir);
    if (pid === undefined) return;
    // A server whose owner lives is in use, not stopping: say who holds it, at once.
    const owner = devServerOwner(pid);
    if (owner !== undefined && owner !== process.pid && processAlive(owner)) {
      throw new Error(
        `${resolve(dataDir)} is in use by another tagflow process (pid ${owner}: ${commandOf(owner)}). ` +
          `Follow or finish that one, or stop it with \`kill -INT ${owner}\` (its run stays resumable) and run again; ` +
          '`tagflow server start` keeps one server that several runs can share.',
      );
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Another Temporal dev server (pid ${pid}) is using ${resolve(dataDir)}; ` +
          'two servers must not share its SQLite file. Wait for it to stop, or stop it.',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
