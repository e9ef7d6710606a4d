// The runs an artifact store holds (runs/<run>/): their size on disk, whether they were
// published, and removing them — `tagflow runs` and `tagflow clean`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { type ArtifactStore, runKey } from './artifact-store.js';

export interface RunFolder {
  runId: string;
  bytes: number;
  files: number;
  /** The latest modification of any of its files, ms since the epoch. */
  modified: number;
  /** Where it was published (published.json), if it was. */
  published?: string;
}

function walk(dir: string, into: { bytes: number; files: number; modified: number }): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, into);
    else {
      const s = statSync(path);
      into.bytes += s.size;
      into.files++;
      into.modified = Math.max(into.modified, s.mtimeMs);
    }
  }
}

/** Every run folder of the store, by run id. */
export function listRunFolders(store: ArtifactStore): RunFolder[] {
  let ids: string[];
  try {
    ids = readdirSync(store.path('runs'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
  return ids.map((runId) => {
    const totals = { bytes: 0, files: 0, modified: 0 };
    walk(store.path(runKey(runId)), totals);
    let published: string | undefined;
    try {
      published = JSON.parse(
        readFileSync(store.path(runKey(runId, 'published.json')), 'utf8'),
      ).target;
    } catch {
      published = undefined;
    }
    return { runId, ...totals, ...(published ? { published } : {}) };
  });
}

/** Removes run folders; refuses ids the store does not hold. Returns the bytes freed. */
export function removeRunFolders(store: ArtifactStore, runIds: readonly string[]): number {
  const held = new Map(listRunFolders(store).map((r) => [r.runId, r]));
  const missing = runIds.filter((id) => !held.has(id));
  if (missing.length > 0) {
    throw new ValidationError(
      `no run ${missing.map((m) => `"${m}"`).join(', ')} in the artifact store ${store.root} (it holds: ${[...held.keys()].join(', ') || 'none'})`,
    );
  }
  let freed = 0;
  for (const id of runIds) {
    freed += held.get(id)!.bytes;
    store.remove(runKey(id));
  }
  return freed;
}
