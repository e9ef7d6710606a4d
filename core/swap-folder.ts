// Putting a finished folder in place of another in one step, as seen from outside: a rename,
// with the old folder moved aside first (a folder cannot be renamed over a non-empty one) and
// put back if the rename fails.
import { existsSync, renameSync, rmSync } from 'node:fs';

/** Moves `ready` to `target`, replacing what is there; `aside` is a free name beside it. */
export function swapFolderInto(ready: string, target: string, aside: string): void {
  if (!existsSync(target)) {
    renameSync(ready, target);
    return;
  }
  renameSync(target, aside);
  try {
    renameSync(ready, target);
  } catch (err) {
    renameSync(aside, target);
    throw err;
  }
  rmSync(aside, { recursive: true, force: true });
}
