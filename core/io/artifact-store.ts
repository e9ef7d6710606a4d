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
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ValidationError } from '../errors.js';
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
    mkdirSync(dirname(full), { recursive: true });
    const temp = tempPathFor(full);
    writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
    fsyncFile(temp);
    renameSync(temp, full);
  }

  readJson<T>(key: string): T {
    return JSON.parse(readFileSync(this.path(key), 'utf8')) as T;
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
    walk(base);
    return out.sort();
  }

  remove(key: string): void {
    rmSync(this.path(key), { recursive: true, force: true });
  }
}
