// A published dataset to read back: a local folder, a dataset repo on the Hugging Face Hub
// (`hf://datasets/<owner>/<name>[@<revision>]`, read with @huggingface/hub; HF_TOKEN and
// HF_ENDPOINT as the publisher reads them, the token optional for public repos), or an S3
// prefix (`s3://<bucket>/<prefix>`, with the AWS settings of s3-bucket.ts).
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadFile, HubApiError, listFiles } from '@huggingface/hub';
import { HubAuthError, ValidationError } from '../errors.js';
import { S3Bucket, sha256OfObject } from '../io/index.js';
import { isS3Url, parseS3Url, type S3Location, s3UrlOf } from '../s3-url.js';
import { checkRepoId, DEFAULT_HUB_URL, type HubOptions } from './publish-hub.js';

export type DatasetLocation =
  | { kind: 'folder'; dir: string }
  | { kind: 'hub'; repo: string; revision?: string }
  | ({ kind: 's3' } & S3Location);

/**
 * `hf://datasets/<owner>/<name>[@<revision>]`, `s3://<bucket>/<prefix>`, `file:///abs/dir`, or
 * a folder (relative to `cwd`).
 */
export function parseDatasetLocation(arg: string, cwd = process.cwd()): DatasetLocation {
  if (isS3Url(arg)) return { kind: 's3', ...parseS3Url(arg, 'dataset') };
  if (arg.startsWith('hf://')) {
    const match = /^hf:\/\/datasets\/([^/@]+\/[^/@]+?)\/?(?:@([^@]+))?$/.exec(arg);
    if (!match) {
      throw new ValidationError(
        `"${arg}": expected hf://datasets/<owner>/<name>, optionally @<revision> (a branch, tag or commit)`,
      );
    }
    return { kind: 'hub', repo: checkRepoId(match[1]), revision: match[2] };
  }
  if (arg.startsWith('file:')) return { kind: 'folder', dir: fileURLToPath(arg) };
  return { kind: 'folder', dir: resolve(cwd, arg) };
}

export function describeLocation(location: DatasetLocation): string {
  if (location.kind === 'folder') return location.dir;
  if (location.kind === 's3') return s3UrlOf(location);
  return `hf://datasets/${location.repo}${location.revision ? `@${location.revision}` : ''}`;
}

export interface DatasetEntry {
  /** Path in the dataset, forward slashes. */
  path: string;
  bytes: number;
  /** Known without reading the file: the sha256 the Hub records for an LFS file. */
  sha256?: string;
}

/** Read access to a published dataset's files. */
export interface DatasetSource {
  location: DatasetLocation;
  /** Every file, sorted by path (on the Hub, .gitattributes is left out: the Hub adds it). */
  list(): Promise<DatasetEntry[]>;
  /** A file's bytes, or undefined when it does not exist. */
  read(path: string): Promise<Buffer | undefined>;
  /** A file's sha256, streamed. */
  sha256(path: string): Promise<string>;
}

const byPath = (a: DatasetEntry, b: DatasetEntry) =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0;

function folderSource(location: { kind: 'folder'; dir: string }): DatasetSource {
  const { dir } = location;
  const walk = (sub: string, out: DatasetEntry[]) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      const stat = statSync(join(dir, path));
      if (stat.isDirectory()) walk(path, out);
      else if (stat.isFile()) out.push({ path, bytes: stat.size });
    }
    return out;
  };
  const checkDir = () => {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(dir);
    } catch {
      throw new ValidationError(`${dir}: no such folder`);
    }
    if (!stat.isDirectory()) throw new ValidationError(`${dir}: not a folder`);
  };
  return {
    location,
    async list() {
      checkDir();
      return walk('', []).sort(byPath);
    },
    async read(path) {
      checkDir();
      try {
        return readFileSync(join(dir, path));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async sha256(path) {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(join(dir, path))) hash.update(chunk as Buffer);
      return hash.digest('hex');
    },
  };
}

/** Hub read settings: the token is optional (public repos), but must look like one when set. */
function hubRead(options: HubOptions) {
  const token = options.accessToken ?? process.env.HF_TOKEN;
  if (token !== undefined && token !== '' && !token.startsWith('hf_')) {
    throw new HubAuthError(
      'HF_TOKEN does not look like a Hugging Face access token (it must start with "hf_")',
    );
  }
  const hubUrl = (options.hubUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  return { token: token || undefined, hubUrl };
}

function hubSource(
  location: { kind: 'hub'; repo: string; revision?: string },
  options: HubOptions,
): DatasetSource {
  const { token, hubUrl } = hubRead(options);
  const common = {
    repo: { type: 'dataset' as const, name: location.repo },
    hubUrl,
    ...(token && { accessToken: token }),
    ...(location.revision && { revision: location.revision }),
    ...(options.fetch && { fetch: options.fetch }),
  };
  const where = `${describeLocation(location)} at ${hubUrl}`;
  const scrub = (text: string) => (token ? text.split(token).join('***') : text);
  const failed = (err: unknown, step: string): Error => {
    const detail = scrub(err instanceof Error ? err.message : String(err));
    if (err instanceof HubApiError && (err.statusCode === 401 || err.statusCode === 403)) {
      return new HubAuthError(
        `${where}: the Hub refused ${step} (HTTP ${err.statusCode}): ${detail}`,
      );
    }
    if (err instanceof HubApiError && err.statusCode === 404) {
      return new ValidationError(
        `${where}: not found while ${step} (HTTP 404; a private repo needs HF_TOKEN, a revision must exist): ${detail}`,
      );
    }
    return new Error(`${where}: ${step} failed: ${detail}`);
  };
  const blob = async (path: string) => {
    try {
      return (await downloadFile({ ...common, path })) ?? undefined;
    } catch (err) {
      throw failed(err, `downloading ${path}`);
    }
  };
  return {
    location,
    async list() {
      const out: DatasetEntry[] = [];
      try {
        for await (const entry of listFiles({ ...common, recursive: true })) {
          if (entry.type !== 'file' || entry.path === '.gitattributes') continue;
          out.push({ path: entry.path, bytes: entry.size, sha256: entry.lfs?.oid });
        }
      } catch (err) {
        throw failed(err, 'listing the files');
      }
      return out.sort(byPath);
    },
    async read(path) {
      const file = await blob(path);
      return file && Buffer.from(await file.arrayBuffer());
    },
    async sha256(path) {
      const file = await blob(path);
      if (!file) throw new ValidationError(`${where}: ${path} is missing`);
      const hash = createHash('sha256');
      const reader = file.stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
      }
      return hash.digest('hex');
    },
  };
}

/** An S3 prefix: every object under it is a file of the dataset. */
function s3Source(location: { kind: 's3' } & S3Location): DatasetSource {
  const bucket = new S3Bucket(location, s3UrlOf(location));
  return {
    location,
    async list() {
      return (await bucket.list('')).map((o) => ({ path: o.key, bytes: o.bytes }));
    },
    read: (path) => bucket.read(path),
    sha256: (path) => sha256OfObject(bucket, path),
  };
}

export function openDatasetSource(location: DatasetLocation, hub: HubOptions = {}): DatasetSource {
  if (location.kind === 'folder') return folderSource(location);
  if (location.kind === 's3') return s3Source(location);
  return hubSource(location, hub);
}
