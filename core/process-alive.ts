// Whether a process id is running: what owner files (a dev server's, a background server's,
// a cache folder's) are checked against before anything is taken over or removed.

/** True while `pid` runs, including one this process may not signal (EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
