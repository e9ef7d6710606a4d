// Where a run's intermediates live. Workflow payloads carry only keys and manifests; the
// bytes live here, in a run folder named by the run id:
//
//   <root>/runs/<run-id>/catalogue.arrow, counts.arrow, count-model.json,
//                        generated/…, dedupe/…, split/…, report/…
//
// Two implementations: a local folder (this file), which several worker machines can share
// when it is a shared filesystem mounted at the same path everywhere (NFS, EFS), and an S3
// bucket (s3-artifact-store.ts), which needs no shared disk. The contract both meet:
//   1. atomic publish: a file appears complete or not at all (a temp file renamed in the same
//      folder; an S3 PUT);
//   2. read-after-write: once an activity that wrote a file completes, every worker sees it
//      (S3 has been strongly consistent since December 2020);
//   3. listing and recursive delete of a run folder (for cleanup after cancellation).
//
// Activities read and write through local files either way: `readLocal` gives local copies to
// read (the files themselves, or downloads in the worker's bounded cache), `writePath` a local
// place to write a key (a file or a folder) and `commit` makes it visible to every worker.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { classifyFsError, errorCode, ValidationError } from '../errors.js';
import { fsyncFile, sha256File, tempPathFor } from './arrow-io.js';

/** A stored file: its key, size and last write (ms since the epoch). */
export interface ArtifactEntry {
  key: string;
  bytes: number;
  modified: number;
}

/** Local copies of stored files, in the order asked for; `release` lets the cache evict them. */
export interface LocalCopies {
  paths: string[];
  release(): void;
}

export interface ArtifactStore {
  /** The store's location, for messages: a folder, or `s3://bucket/prefix`. */
  readonly root: string;
  /** True when the bytes live elsewhere and reach this machine through its cache (S3). */
  readonly remote: boolean;
  /** Tries a write, read and delete in the store; a store that cannot work names `field`. */
  probe(field: string): Promise<void>;
  /** A file, or a folder holding files. */
  exists(key: string): Promise<boolean>;
  /** Writes small JSON atomically. */
  writeJson(key: string, value: unknown): Promise<void>;
  readJson<T>(key: string): Promise<T>;
  /** Keys of the files under a folder, sorted. */
  list(prefix: string): Promise<string[]>;
  /** The files under a folder with their size and last write, sorted by key. */
  entries(prefix: string): Promise<ArtifactEntry[]>;
  /** Size and sha256 of a file. */
  describe(key: string): Promise<{ bytes: number; sha256: string }>;
  /** Removes a file or a whole folder. */
  remove(key: string): Promise<void>;
  /** Local copies of files to read; call `release` when done with them. */
  readLocal(keys: readonly string[]): Promise<LocalCopies>;
  /** A folder's files as one local folder (a model pack); `paths[0]` is the folder. */
  readLocalFolder(prefix: string): Promise<LocalCopies>;
  /** The local path to write `key` at (a file, or a folder of files) before `commit(key)`. */
  writePath(key: string): string;
  /** Makes what was written at `writePath(key)` visible to every worker; `sha256` of a file if known. */
  commit(key: string, sha256?: string): Promise<void>;
  /** The key of a path under `writePath` (outputs that are named by their local path). */
  keyOf(path: string): string;
  /** A local scratch folder for this worker (never shared, never committed). */
  scratchPath(key: string): string;
  /** Where a key is, as a path or URL another activity can resolve (trained model packs). */
  location(key: string): string;
}

export function runKey(runId: string, ...parts: string[]): string {
  return ['runs', runId, ...parts].join('/');
}

/** Runs `use` on local copies of `keys`, released afterwards. */
export async function withLocalCopies<T>(
  store: ArtifactStore,
  keys: readonly string[],
  use: (paths: string[]) => Promise<T> | T,
): Promise<T> {
  const copies = await store.readLocal(keys);
  try {
    return await use(copies.paths);
  } finally {
    copies.release();
  }
}

/** Yields what `items` yields, then releases `copies`, however the loop over it ends. */
export async function* releasing<T>(
  copies: LocalCopies,
  items: AsyncIterable<T>,
): AsyncGenerator<T> {
  try {
    yield* items;
  } finally {
    copies.release();
  }
}

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly remote = false;

  constructor(root: string) {
    this.root = resolve(root);
  }

  path(key: string): string {
    if (isAbsolute(key) || key.split('/').includes('..')) {
      throw new ValidationError(`artifact key "${key}" must be a relative path inside the store`);
    }
    const full = resolve(this.root, key);
    if (full !== this.root && !full.startsWith(this.root + sep)) {
      throw new ValidationError(`artifact key "${key}" escapes the store root ${this.root}`);
    }
    return full;
  }

  async probe(field: string): Promise<void> {
    probeWritableFolder(this.root, field, { create: true });
  }

  async exists(key: string): Promise<boolean> {
    return existsSync(this.path(key));
  }

  async writeJson(key: string, value: unknown): Promise<void> {
    const full = this.path(key);
    this.classified(`write ${key}`, () => {
      mkdirSync(dirname(full), { recursive: true });
      const temp = tempPathFor(full);
      writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
      fsyncFile(temp);
      renameSync(temp, full);
    });
  }

  async readJson<T>(key: string): Promise<T> {
    const full = this.path(key);
    return JSON.parse(this.classified(`read ${key}`, () => readFileSync(full, 'utf8'))) as T;
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.entries(prefix)).map((e) => e.key);
  }

  async entries(prefix: string): Promise<ArtifactEntry[]> {
    const base = this.path(prefix);
    if (!existsSync(base)) return [];
    const out: ArtifactEntry[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else {
          const s = statSync(full);
          out.push({ key: this.keyOf(full), bytes: s.size, modified: s.mtimeMs });
        }
      }
    };
    this.classified(`list ${prefix}`, () => walk(base));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async describe(key: string): Promise<{ bytes: number; sha256: string }> {
    const full = this.path(key);
    return { bytes: statSync(full).size, sha256: await sha256File(full) };
  }

  async remove(key: string): Promise<void> {
    const full = this.path(key);
    this.classified(`remove ${key}`, () => rmSync(full, { recursive: true, force: true }));
  }

  async readLocal(keys: readonly string[]): Promise<LocalCopies> {
    return { paths: keys.map((k) => this.path(k)), release: () => undefined };
  }

  async readLocalFolder(prefix: string): Promise<LocalCopies> {
    return { paths: [this.path(prefix)], release: () => undefined };
  }

  writePath(key: string): string {
    const full = this.path(key);
    this.classified(`write ${key}`, () => mkdirSync(dirname(full), { recursive: true }));
    return full;
  }

  async commit(_key: string, _sha256?: string): Promise<void> {
    // Written in place: nothing to upload.
  }

  keyOf(path: string): string {
    return relative(this.root, path).split(sep).join('/');
  }

  scratchPath(key: string): string {
    return this.path(key);
  }

  location(key: string): string {
    return this.path(key);
  }

  /** Runs `op`; a permission or file-type error becomes a non-retryable ValidationError. */
  private classified<T>(what: string, op: () => T): T {
    try {
      return op();
    } catch (err) {
      throw classifyFsError(err, `artifact store ${this.root}: cannot ${what}`);
    }
  }
}

/** Error codes a probe may meet that a retry can get past (a busy or flaky file system). */
const TRANSIENT_FS_CODES = new Set([
  'EAGAIN',
  'EBUSY',
  'EINTR',
  'EIO',
  'EMFILE',
  'ENFILE',
  'ESTALE',
  'ETIMEDOUT',
]);

/** The nearest existing path at or above `path` (a file or a folder). */
function nearestExisting(path: string): string {
  let current = path;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch (err) {
      const code = errorCode(err);
      // ENOTDIR: a file further up is in the way; it is what the caller finds next.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) throw err;
      current = dirname(current);
    }
  }
}

/**
 * Tries what a run will do in a folder before the run does it: creates `dir` (when `create`;
 * folder by folder, never `mkdir -p`, which loops forever under /proc), then writes, renames
 * and deletes a probe file in it. Without `create` nothing is created: the probe runs in `dir`
 * or, when it does not exist yet, in its nearest existing ancestor (where the run will create
 * it). `parent`: probe `dir`'s parent instead (a target that is swapped in by a rename there).
 * A failure a retry cannot fix — a file in the way, no permission, a read-only or special
 * file system — is a ValidationError naming `field` (the config field) and `dir`.
 */
export function probeWritableFolder(
  dir: string,
  field: string,
  options: { create: boolean; parent?: boolean },
): void {
  const target = options.parent ? dirname(resolve(dir)) : resolve(dir);
  function fail(detail: string, err?: unknown): never {
    const code = errorCode(err);
    if (code && TRANSIENT_FS_CODES.has(code)) throw err;
    const cause = err ? ` (${code ?? (err as Error).message})` : '';
    throw new ValidationError(`${field}: cannot use ${dir}: ${detail}${cause}`);
  }
  let base = target;
  try {
    base = nearestExisting(target);
  } catch (err) {
    fail('cannot look it up', err);
  }
  if (!statSync(base).isDirectory()) {
    fail(base === resolve(dir) ? 'it is a file, not a folder' : `${base} is a file, not a folder`);
  }
  let folder = base;
  if (options.create && base !== target) {
    const missing = relative(base, target).split(sep);
    for (const part of missing) {
      folder = join(folder, part);
      try {
        mkdirSync(folder);
      } catch (err) {
        if (errorCode(err) === 'EEXIST' && statSync(folder).isDirectory()) continue;
        fail(`cannot create the folder ${folder}`, err);
      }
    }
  }
  const probe = join(folder, `.tagflow-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  const renamed = `${probe}.renamed`;
  let step = 'write a file in';
  try {
    writeFileSync(probe, 'tagflow write probe\n');
    step = 'rename a file in';
    renameSync(probe, renamed);
    step = 'delete a file in';
    rmSync(renamed);
  } catch (err) {
    fail(`cannot ${step} ${folder}`, err);
  } finally {
    for (const leftover of [probe, renamed]) {
      try {
        rmSync(leftover, { force: true });
      } catch {
        // Reported above: the step that failed is the message.
      }
    }
  }
}
