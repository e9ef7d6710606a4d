// Where a run's intermediates live. Workflow payloads carry only keys and manifests; the
// bytes live here, in a run folder named by the run id:
//
//   <root>/runs/<run-id>/catalogue.arrow, counts.arrow, count-model.json,
//                        generated/…, dedupe/…, split/…, report/…
//
// The local-folder store is the only implementation. Several worker machines can share it
// when <root> is a shared filesystem mounted at the same path everywhere (NFS, EFS, a
// GCS/S3 FUSE mount with atomic rename). The contract any shared store must meet:
//   1. atomic publish: a file appears complete or not at all (we write a temp file in the
//      same folder and rename it);
//   2. read-after-write: once an activity that wrote a file completes, every worker sees it;
//   3. listing and recursive delete of a run folder (for cleanup after cancellation).
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
import { fsyncFile, tempPathFor } from './arrow-io.js';

export interface ArtifactStore {
  /** The store's root, for messages. */
  readonly root: string;
  /** Absolute local path of a key (`runs/<run>/…`); refuses keys that escape the root. */
  path(key: string): string;
  exists(key: string): boolean;
  /** Writes small JSON atomically. */
  writeJson(key: string, value: unknown): void;
  readJson<T>(key: string): T;
  /** Keys under a prefix, sorted. */
  list(prefix: string): string[];
  /** Removes a key or a whole folder. */
  remove(key: string): void;
}

export function runKey(runId: string, ...parts: string[]): string {
  return ['runs', runId, ...parts].join('/');
}

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;

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

  exists(key: string): boolean {
    return existsSync(this.path(key));
  }

  writeJson(key: string, value: unknown): void {
    const full = this.path(key);
    this.classified(`write ${key}`, () => {
      mkdirSync(dirname(full), { recursive: true });
      const temp = tempPathFor(full);
      writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
      fsyncFile(temp);
      renameSync(temp, full);
    });
  }

  readJson<T>(key: string): T {
    const full = this.path(key);
    return JSON.parse(this.classified(`read ${key}`, () => readFileSync(full, 'utf8'))) as T;
  }

  list(prefix: string): string[] {
    const base = this.path(prefix);
    if (!existsSync(base)) return [];
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else out.push(relative(this.root, full).split(sep).join('/'));
      }
    };
    this.classified(`list ${prefix}`, () => walk(base));
    return out.sort();
  }

  remove(key: string): void {
    const full = this.path(key);
    this.classified(`remove ${key}`, () => rmSync(full, { recursive: true, force: true }));
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
