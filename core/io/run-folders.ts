// The runs an artifact store holds (runs/<run>/): their size, whether they were published,
// and removing them — `tagflow runs` and `tagflow clean`. One listing of the store's runs/
// folder gives all of it, on a local folder and in S3 alike.
import { ValidationError } from '../errors.js';
import { type ArtifactStore, runKey } from './artifact-store.js';

/** What publish leaves in a run folder: `{ target }`. */
const PUBLISHED_FILE = 'published.json';

export interface RunFolder {
  runId: string;
  bytes: number;
  files: number;
  /** The latest modification of any of its files, ms since the epoch. */
  modified: number;
  /** Where it was published (published.json), if it was. */
  published?: string;
}

/** Every run folder of the store, by run id. */
export async function listRunFolders(store: ArtifactStore): Promise<RunFolder[]> {
  const runs = new Map<string, RunFolder>();
  const published = new Set<string>();
  for (const entry of await store.entries('runs')) {
    const [, runId, ...rest] = entry.key.split('/');
    if (rest.length === 0) continue; // a file directly in runs/ is no run
    if (rest.join('/') === PUBLISHED_FILE) published.add(runId);
    let run = runs.get(runId);
    if (!run) {
      run = { runId, bytes: 0, files: 0, modified: 0 };
      runs.set(runId, run);
    }
    run.bytes += entry.bytes;
    run.files++;
    run.modified = Math.max(run.modified, entry.modified);
  }
  const sorted = [...runs.values()].sort((a, b) => (a.runId < b.runId ? -1 : 1));
  for (const run of sorted) {
    if (!published.has(run.runId)) continue;
    try {
      const { target } = await store.readJson<{ target?: string }>(
        runKey(run.runId, PUBLISHED_FILE),
      );
      if (target) run.published = target;
    } catch (err) {
      // A torn file: the run shows as not published.
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  return sorted;
}

/** Removes run folders; refuses ids the store does not hold. Returns the bytes freed. */
export async function removeRunFolders(
  store: ArtifactStore,
  runIds: readonly string[],
): Promise<number> {
  const held = new Map((await listRunFolders(store)).map((r) => [r.runId, r]));
  const missing = runIds.filter((id) => !held.has(id));
  if (missing.length > 0) {
    throw new ValidationError(
      `no run ${missing.map((m) => `"${m}"`).join(', ')} in the artifact store ${store.root} (it holds: ${[...held.keys()].join(', ') || 'none'})`,
    );
  }
  let freed = 0;
  for (const id of runIds) {
    freed += held.get(id)!.bytes;
    await store.remove(runKey(id));
  }
  return freed;
}
