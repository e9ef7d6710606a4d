// The artifact store in an S3 bucket (`artifacts: s3://bucket/prefix`): workers share only
// the bucket, no disk. Keys map to objects under the prefix; a folder is a key prefix.
//
// The contract of artifact-store.ts holds as S3 gives it: a PUT appears whole or not at all,
// reads after a completed write see it (S3 is strongly consistent; so are MinIO and moto),
// listing is by prefix and a folder is removed object by object. Activities still work on
// local files: `readLocal` downloads into this worker's bounded cache (local-cache.ts), looked
// up by ETag before every use so that a changed object is fetched again; `writePath` is a
// staging place on local disk, and `commit` uploads what was written there (each file with its
// sha256 as object metadata) and keeps the uploaded files as cache entries.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ValidationError } from '../errors.js';
import { parseS3Url, s3UrlOf } from '../s3-url.js';
import type { ArtifactEntry, ArtifactStore, LocalCopies } from './artifact-store.js';
import {
  type CacheSettings,
  cacheSettingsFromEnv,
  type FileCache,
  fileCache,
} from './local-cache.js';
import { S3Bucket, type S3Settings, sha256OfObject } from './s3-bucket.js';

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/** Every file under a local folder, as paths. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** Parallel transfers per call: enough to hide request latency, few enough for 2 cores. */
const TRANSFERS = 4;

export class S3ArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly remote = true;
  readonly bucket: S3Bucket;
  private readonly cache: FileCache;

  constructor(url: string, options: { cache?: CacheSettings; settings?: S3Settings } = {}) {
    const location = parseS3Url(url, 'artifacts');
    this.root = s3UrlOf(location);
    this.bucket = new S3Bucket(location, `artifact store ${this.root}`, options.settings);
    this.cache = fileCache(options.cache ?? cacheSettingsFromEnv());
  }

  /** Refuses keys that are not plain relative paths ('' is the store's root folder). */
  private checked(key: string): string {
    if (key !== '' && (isAbsolute(key) || key.split('/').some((s) => s === '' || s === '..'))) {
      throw new ValidationError(`artifact key "${key}" must be a relative path inside the store`);
    }
    return key;
  }

  /** The cache's name for a key: `<bucket>/<object key>`. */
  private cacheId(key: string): string {
    return `${this.bucket.location.bucket}/${this.bucket.fullKey(key)}`;
  }

  private folder(prefix: string): string {
    return prefix ? `${this.checked(prefix)}/` : '';
  }

  private missing(key: string): Error {
    // Retryable, as a missing local file is: a write another worker has not finished yet.
    return new Error(`${this.bucket.description}: ${key} does not exist`);
  }

  probe(field: string): Promise<void> {
    return this.bucket.probe(field);
  }

  async exists(key: string): Promise<boolean> {
    if (await this.bucket.head(this.checked(key))) return true;
    return (await this.bucket.list(this.folder(key), 1)).length > 0;
  }

  async writeJson(key: string, value: unknown): Promise<void> {
    await this.bucket.write(
      this.checked(key),
      `${JSON.stringify(value, null, 2)}\n`,
      'application/json',
    );
  }

  async readJson<T>(key: string): Promise<T> {
    const bytes = await this.bucket.read(this.checked(key));
    if (!bytes) throw this.missing(key);
    return JSON.parse(bytes.toString('utf8')) as T;
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.entries(prefix)).map((e) => e.key);
  }

  async entries(prefix: string): Promise<ArtifactEntry[]> {
    return (await this.bucket.list(this.folder(prefix))).map(({ key, bytes, modified }) => ({
      key,
      bytes,
      modified,
    }));
  }

  async describe(key: string): Promise<{ bytes: number; sha256: string }> {
    const head = await this.bucket.head(this.checked(key));
    if (!head) throw this.missing(key);
    return { bytes: head.bytes, sha256: head.sha256 ?? (await sha256OfObject(this.bucket, key)) };
  }

  async remove(key: string): Promise<void> {
    const keys = (await this.bucket.list(this.folder(key))).map((o) => o.key);
    if (key) keys.push(key);
    await this.bucket.remove(keys);
    this.cache.forget(this.cacheId(key));
    for (const local of [this.writePath(key), this.scratchPath(key)])
      rmSync(local, { recursive: true, force: true });
  }

  async readLocal(keys: readonly string[]): Promise<LocalCopies> {
    const acquired: string[] = [];
    const paths = new Array<string>(keys.length);
    const release = () => {
      for (const id of acquired.splice(0)) this.cache.release(id);
    };
    try {
      await eachLimited(
        keys.map((key, i) => ({ key: this.checked(key), i })),
        TRANSFERS,
        async ({ key, i }) => {
          const head = await this.bucket.head(key);
          if (!head) throw this.missing(key);
          const id = this.cacheId(key);
          paths[i] = await this.cache.acquire(id, head.etag, (path) =>
            this.bucket.download(key, path),
          );
          acquired.push(id);
        },
      );
    } catch (err) {
      release();
      throw err;
    }
    return { paths, release };
  }

  async readLocalFolder(prefix: string): Promise<LocalCopies> {
    const keys = await this.list(prefix);
    if (keys.length === 0) throw this.missing(`${prefix}/`);
    const copies = await this.readLocal(keys);
    return { paths: [this.cache.pathOf(this.cacheId(prefix))], release: copies.release };
  }

  writePath(key: string): string {
    const path = join(this.cache.dir, 'staging', this.checked(key));
    mkdirSync(dirname(path), { recursive: true });
    return path;
  }

  async commit(key: string, sha256?: string): Promise<void> {
    const base = this.writePath(key);
    let isFolder: boolean;
    try {
      isFolder = statSync(base).isDirectory();
    } catch {
      return; // nothing written (a stage with no output files): nothing to upload, as locally
    }
    const files = isFolder ? filesUnder(base) : [base];
    await eachLimited(files, TRANSFERS, async (file) => {
      const fileKey = this.keyOf(file);
      const bytes = statSync(file).size;
      const etag = await this.bucket.upload(fileKey, file, isFolder ? undefined : sha256);
      this.cache.adopt(this.cacheId(fileKey), etag, file, bytes);
    });
    rmSync(base, { recursive: true, force: true });
  }

  keyOf(path: string): string {
    const rel = relative(join(this.cache.dir, 'staging'), path);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`${path} is not under this store's staging folder`);
    }
    return rel.split(sep).join('/');
  }

  scratchPath(key: string): string {
    return join(this.cache.dir, 'scratch', this.checked(key));
  }

  location(key: string): string {
    return s3UrlOf(this.bucket.location, this.checked(key));
  }
}
