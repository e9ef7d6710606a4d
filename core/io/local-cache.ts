// A worker's bounded local cache of files fetched from a remote artifact store: what
// onnxruntime, Arrow and Parquet readers need as local files. Files keep their store layout
// (`objects/<bucket>/<key>`), so a model pack's files sit side by side in one folder.
//
// Each entry remembers the ETag it was fetched at: the store looks the object up before every
// use and fetches it again when it changed. Entries in use are pinned (until their lease is
// released); when the cache holds more than its bound, the least recently used unpinned
// entries go. Pinned entries may take it over the bound while they are in use: an activity
// needs all of its inputs at once.
//
// Each process works in its own folder (`p<pid>-<random>`) under the cache root, so that
// processes sharing a root never evict each other's files; a process removes its folder when
// it exits, and the folders of processes killed before they could are removed when a new one
// starts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { processAlive } from '../process-alive.js';

export interface CacheSettings {
  /** The cache root; this process uses a folder of its own inside it. */
  dir: string;
  /** The most bytes kept beyond those in use. */
  maxBytes: number;
}

/** Default bound: room for a run's chunk files at tens of millions of rows. */
export const DEFAULT_CACHE_BYTES = 4 * 1024 ** 3;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `12345`, `500MB`, `4GiB` → bytes. */
export function parseByteSize(text: string, field: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match && UNITS[match[2].toLowerCase()];
  if (!match || unit === undefined) {
    throw new ValidationError(
      `${field}: "${text}" is not a size (a number of bytes, or with a unit: 500MB, 4GiB)`,
    );
  }
  return Math.floor(Number(match[1]) * (unit as number));
}

/** TAGFLOW_CACHE_DIR (default `.tagflow/cache` under `cwd`) and TAGFLOW_CACHE_SIZE. */
export function cacheSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): CacheSettings {
  return {
    dir: resolve(cwd, env.TAGFLOW_CACHE_DIR || join('.tagflow', 'cache')),
    maxBytes: env.TAGFLOW_CACHE_SIZE
      ? parseByteSize(env.TAGFLOW_CACHE_SIZE, 'TAGFLOW_CACHE_SIZE')
      : DEFAULT_CACHE_BYTES,
  };
}

interface Entry {
  etag: string;
  bytes: number;
  used: number;
  pins: number;
}

// A process that exits normally takes its folders along (one hook for all of them); a killed
// one's go when the next process starts.
const ownFolders = new Set<string>();
function removeOnExit(dir: string): void {
  if (ownFolders.size === 0) {
    process.once('exit', () => {
      for (const d of ownFolders) rmSync(d, { recursive: true, force: true });
    });
  }
  ownFolders.add(dir);
}

export class FileCache {
  /** This process's folder: `objects/` (cached files), `staging/` and `scratch/`. */
  readonly dir: string;
  readonly maxBytes: number;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<void>>();
  private clock = 0;

  constructor(settings: CacheSettings) {
    const root = resolve(settings.dir);
    this.maxBytes = settings.maxBytes;
    mkdirSync(root, { recursive: true });
    for (const name of readdirSync(root)) {
      const pid = Number(/^p(\d+)-/.exec(name)?.[1]);
      if (pid && pid !== process.pid && !processAlive(pid))
        rmSync(join(root, name), { recursive: true, force: true });
    }
    this.dir = join(root, `p${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(join(this.dir, 'objects'), { recursive: true });
    removeOnExit(this.dir);
  }

  /** Where the cached file of `id` (a relative path, `<bucket>/<key>`) lives. */
  pathOf(id: string): string {
    if (isAbsolute(id) || id.split('/').some((s) => s === '..' || s === '')) {
      throw new ValidationError(`cache: "${id}" is not a relative path without "..": refusing it`);
    }
    return join(this.dir, 'objects', id);
  }

  /** Total bytes of the cached files. */
  get bytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    return total;
  }

  /**
   * The local path of `id` at `etag`, pinned until `release(id)`: the cached file when it was
   * fetched at that ETag, else what `fetch` writes there (it returns the ETag it got).
   */
  async acquire(
    id: string,
    etag: string,
    fetch: (path: string) => Promise<{ etag: string; bytes: number }>,
  ): Promise<string> {
    const path = this.pathOf(id);
    for (;;) {
      const inFlight = this.pending.get(id);
      if (inFlight) {
        await inFlight.catch(() => undefined);
        continue;
      }
      const entry = this.entries.get(id);
      if (entry && entry.etag === etag) {
        entry.pins++;
        entry.used = ++this.clock;
        return path;
      }
      const download = (async () => {
        mkdirSync(dirname(path), { recursive: true });
        const got = await fetch(path);
        const previous = this.entries.get(id);
        this.entries.set(id, {
          etag: got.etag,
          bytes: got.bytes,
          used: ++this.clock,
          pins: (previous?.pins ?? 0) + 1,
        });
      })();
      this.pending.set(id, download);
      try {
        await download;
      } finally {
        this.pending.delete(id);
      }
      this.evict();
      return path;
    }
  }

  /** Unpins one acquisition of `id`. */
  release(id: string): void {
    const entry = this.entries.get(id);
    if (entry && entry.pins > 0) entry.pins--;
    this.evict();
  }

  /** Moves a file just uploaded as `id` (at `etag`) into the cache, unpinned. */
  adopt(id: string, etag: string, file: string, bytes: number): void {
    if (this.pending.has(id)) {
      rmSync(file, { force: true });
      return;
    }
    const path = this.pathOf(id);
    mkdirSync(dirname(path), { recursive: true });
    renameSync(file, path);
    const previous = this.entries.get(id);
    this.entries.set(id, { etag, bytes, used: ++this.clock, pins: previous?.pins ?? 0 });
    this.evict();
  }

  /** Drops the entries at or under `id` (their objects were deleted). */
  forget(id: string): void {
    for (const [key, entry] of this.entries) {
      if ((key === id || key.startsWith(`${id}/`)) && entry.pins === 0) {
        rmSync(this.pathOf(key), { force: true });
        this.entries.delete(key);
      }
    }
  }

  /** Removes the least recently used unpinned files while the cache is over its bound. */
  private evict(): void {
    let total = this.bytes;
    if (total <= this.maxBytes) return;
    const idle = [...this.entries]
      .filter(([, e]) => e.pins === 0)
      .sort((a, b) => a[1].used - b[1].used);
    for (const [id, entry] of idle) {
      if (total <= this.maxBytes) break;
      rmSync(this.pathOf(id), { force: true });
      this.entries.delete(id);
      total -= entry.bytes;
    }
  }
}

const caches = new Map<string, FileCache>();

/** The process's cache for a root (one per root, shared by every store of the process). */
export function fileCache(settings: CacheSettings): FileCache {
  const root = resolve(settings.dir);
  let cache = caches.get(root);
  if (!cache) {
    cache = new FileCache(settings);
    caches.set(root, cache);
  }
  return cache;
}
