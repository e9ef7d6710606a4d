// One S3 location (bucket + key prefix) through the AWS SDK for JavaScript v3, with the
// connection taken from the standard environment of the process (each worker reads its own):
//
//   AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL   an S3-compatible server (MinIO, R2, moto, …)
//   AWS_REGION (or AWS_DEFAULT_REGION)        default us-east-1 when an endpoint is set
//   TAGFLOW_S3_FORCE_PATH_STYLE=true|false    default: true with an endpoint, else false
//   credentials                              the SDK's chain: AWS_ACCESS_KEY_ID/…, AWS_PROFILE,
//                                            SSO, web identity, container or instance roles
//
// Errors are sorted for the workflow: a missing bucket, refused credentials or any other
// request S3 rejects for good is a ValidationError (never retried) naming the location and
// the step; an unreachable endpoint, a timeout or a 5xx is a plain Error, retried by the SDK
// (a few times, quickly) and then by the activity's retry policy.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  DeleteObjectsCommandOutput,
  GetObjectCommandOutput,
  HeadObjectCommandOutput,
  ListObjectsV2CommandOutput,
  PutObjectCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { ValidationError } from '../errors.js';
import { type S3Location, s3UrlOf } from '../s3-url.js';
import { tempPathFor } from './arrow-io.js';

// The SDK's notice that its releases after January 2027 need Node 22 is about versions newer
// than the one pinned here; on Node 20 it would print on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** S3's limit for one PUT; tagflow's files (chunks, shards of at most 256 MiB) stay far below. */
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

export interface S3Settings {
  endpoint?: string;
  /** Which variable named the endpoint (for messages). */
  endpointVariable?: string;
  region?: string;
  forcePathStyle: boolean;
}

/** The connection settings this process's environment gives (see the file comment). */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const endpointVariable = env.AWS_ENDPOINT_URL_S3
    ? 'AWS_ENDPOINT_URL_S3'
    : env.AWS_ENDPOINT_URL
      ? 'AWS_ENDPOINT_URL'
      : undefined;
  const endpoint = endpointVariable && env[endpointVariable];
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new ValidationError(
      `${endpointVariable}: "${endpoint}" is not an http:// or https:// URL of an S3 endpoint`,
    );
  }
  const style = env.TAGFLOW_S3_FORCE_PATH_STYLE;
  if (style !== undefined && style !== '' && style !== 'true' && style !== 'false') {
    throw new ValidationError(
      `TAGFLOW_S3_FORCE_PATH_STYLE: expected true or false, got "${style}"`,
    );
  }
  return {
    ...(endpoint && { endpoint, endpointVariable }),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (endpoint ? 'us-east-1' : undefined),
    forcePathStyle: style ? style === 'true' : Boolean(endpoint),
  };
}

// Loaded on first use: the SDK takes ~80 ms to load, which commands that never touch S3 skip.
type Sdk = typeof import('@aws-sdk/client-s3');
let sdkModule: Promise<Sdk> | undefined;
const sdk = () => {
  sdkModule ??= import('@aws-sdk/client-s3');
  return sdkModule;
};

const clients = new Map<string, Promise<S3Client>>();

function clientFor(settings: S3Settings): Promise<S3Client> {
  const id = JSON.stringify(settings);
  let client = clients.get(id);
  if (!client) {
    client = sdk().then(
      (s) =>
        new s.S3Client({
          ...(settings.endpoint && { endpoint: settings.endpoint }),
          ...(settings.region && { region: settings.region }),
          forcePathStyle: settings.forcePathStyle,
          followRegionRedirects: true,
          // A dead endpoint fails within seconds (retried by the SDK, then by the activity).
          requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
        }),
    );
    clients.set(id, client);
  }
  return client;
}

export interface S3Object {
  /** Key relative to the location's prefix. */
  key: string;
  bytes: number;
  /** ms since the epoch. */
  modified: number;
  etag: string;
}

/** S3 error names that mean the credentials or the policy refuse the request. */
const ACCESS_ERRORS = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AllAccessDisabled',
  'AccountProblem',
]);
/** 4xx names a retry can get past. */
const TRANSIENT_ERRORS = new Set(['RequestTimeout', 'SlowDown', 'OperationAborted']);

interface SdkError extends Error {
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

export class S3Bucket {
  readonly location: S3Location;
  readonly settings: S3Settings;
  private readonly client: Promise<S3Client>;

  /** `description` starts every error message (e.g. `artifacts s3://bucket/prefix`). */
  constructor(
    location: S3Location,
    readonly description: string,
    settings: S3Settings = s3SettingsFromEnv(),
  ) {
    this.location = location;
    this.settings = settings;
    this.client = clientFor(settings);
  }

  /** Sends one command, built from the SDK module once it is loaded. */
  private async send<T>(build: (sdk: Sdk) => object): Promise<T> {
    const [client, module] = await Promise.all([this.client, sdk()]);
    return (await client.send(build(module) as Parameters<S3Client['send']>[0])) as T;
  }

  get url(): string {
    return s3UrlOf(this.location);
  }

  /** The full object key of `key` (relative to the prefix). */
  fullKey(key: string): string {
    return [this.location.prefix, key].filter(Boolean).join('/');
  }

  /** Size, ETag and tagflow's sha256 (object metadata) of an object; undefined when absent. */
  async head(
    key: string,
  ): Promise<{ bytes: number; etag: string; modified: number; sha256?: string } | undefined> {
    try {
      const out = await this.send<HeadObjectCommandOutput>(
        (s) => new s.HeadObjectCommand({ Bucket: this.location.bucket, Key: this.fullKey(key) }),
      );
      return {
        bytes: out.ContentLength ?? 0,
        etag: out.ETag ?? '',
        modified: out.LastModified?.getTime() ?? 0,
        sha256: out.Metadata?.sha256,
      };
    } catch (err) {
      if ((err as SdkError).$metadata?.httpStatusCode === 404) return undefined;
      throw this.failure(err, `look up ${key}`);
    }
  }

  /** Every object under `prefix` (relative; '' for all), sorted by key; `limit` stops early. */
  async list(prefix: string, limit = Number.POSITIVE_INFINITY): Promise<S3Object[]> {
    const out: S3Object[] = [];
    const base = this.location.prefix ? `${this.location.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await this.send<ListObjectsV2CommandOutput>(
        (s) =>
          new s.ListObjectsV2Command({
            Bucket: this.location.bucket,
            Prefix: base + prefix,
            ContinuationToken: token,
            ...(Number.isFinite(limit) && { MaxKeys: Math.min(limit, 1000) }),
          }),
      ).catch((err) => {
        throw this.failure(err, `list ${prefix || 'the objects'}`);
      });
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        out.push({
          key: o.Key.slice(base.length),
          bytes: o.Size ?? 0,
          modified: o.LastModified?.getTime() ?? 0,
          etag: o.ETag ?? '',
        });
      }
      token = page.IsTruncated && out.length < limit ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** An object's bytes, or undefined when there is none. */
  async read(key: string): Promise<Buffer | undefined> {
    try {
      const out = await this.send<GetObjectCommandOutput>(
        (s) => new s.GetObjectCommand({ Bucket: this.location.bucket, Key: this.fullKey(key) }),
      );
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      const e = err as SdkError;
      if (e.name === 'NoSuchKey') return undefined;
      throw this.failure(err, `read ${key}`);
    }
  }

  /** An object's bytes as a stream, for hashing without holding them. */
  async stream(key: string): Promise<Readable> {
    try {
      const out = await this.send<GetObjectCommandOutput>(
        (s) => new s.GetObjectCommand({ Bucket: this.location.bucket, Key: this.fullKey(key) }),
      );
      return out.Body as Readable;
    } catch (err) {
      throw this.failure(err, `read ${key}`);
    }
  }

  /** Downloads an object to `path` (whole or not at all); returns its ETag and size. */
  async download(key: string, path: string): Promise<{ etag: string; bytes: number }> {
    const temp = tempPathFor(path);
    try {
      const out = await this.send<GetObjectCommandOutput>(
        (s) => new s.GetObjectCommand({ Bucket: this.location.bucket, Key: this.fullKey(key) }),
      );
      await pipeline(out.Body as Readable, createWriteStream(temp));
      const bytes = statSync(temp).size;
      if (out.ContentLength !== undefined && bytes !== out.ContentLength) {
        throw new Error(`${this.description}: ${key}: got ${bytes} of ${out.ContentLength} bytes`);
      }
      renameSync(temp, path);
      return { etag: out.ETag ?? '', bytes };
    } catch (err) {
      rmSync(temp, { force: true });
      if ((err as SdkError).$metadata) throw this.failure(err, `download ${key}`);
      throw err;
    }
  }

  /** Writes an object from memory; returns its ETag. */
  async write(key: string, body: Buffer | string, contentType?: string): Promise<string> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    return this.put(key, body, Buffer.byteLength(body), sha256, contentType);
  }

  /** Uploads a local file, its sha256 kept as object metadata; returns the ETag. */
  async upload(key: string, path: string, sha256?: string): Promise<string> {
    const bytes = statSync(path).size;
    if (bytes > MAX_SINGLE_PUT_BYTES) {
      throw new ValidationError(
        `${this.description}: ${key} is ${bytes} bytes, more than one S3 upload takes (5 GiB)`,
      );
    }
    const digest = sha256 ?? (await sha256Of(createReadStream(path)));
    return this.put(key, createReadStream(path), bytes, digest);
  }

  private async put(
    key: string,
    body: Buffer | string | Readable,
    bytes: number,
    sha256: string,
    contentType?: string,
  ): Promise<string> {
    try {
      const out = await this.send<PutObjectCommandOutput>(
        (s) =>
          new s.PutObjectCommand({
            Bucket: this.location.bucket,
            Key: this.fullKey(key),
            Body: body,
            ContentLength: bytes,
            Metadata: { sha256 },
            ...(contentType && { ContentType: contentType }),
          }),
      );
      return out.ETag ?? '';
    } catch (err) {
      throw this.failure(err, `write ${key}`);
    }
  }

  /** Deletes objects (relative keys), a thousand per request. */
  async remove(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await this.send<DeleteObjectsCommandOutput>(
        (s) =>
          new s.DeleteObjectsCommand({
            Bucket: this.location.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.fullKey(k) })), Quiet: true },
          }),
      ).catch((err) => {
        throw this.failure(err, `delete ${batch[0]}${batch.length > 1 ? ' and others' : ''}`);
      });
      const failed = out.Errors?.[0];
      if (failed) {
        const err = Object.assign(new Error(failed.Message ?? 'delete failed'), {
          name: failed.Code ?? 'DeleteFailed',
          $metadata: { httpStatusCode: failed.Code === 'AccessDenied' ? 403 : 500 },
        });
        throw this.failure(err, `delete ${failed.Key}`);
      }
    }
  }

  /**
   * Tries what a run does in the location before it does it: writes, reads back and deletes a
   * probe object. A missing bucket or refused access is a ValidationError naming `field`.
   */
  async probe(field: string): Promise<void> {
    const key = `.tagflow-probe-${process.pid}-${Date.now().toString(36)}`;
    try {
      await this.write(key, 'tagflow write probe\n');
      await this.read(key);
      await this.remove([key]);
    } catch (err) {
      if (err instanceof ValidationError) throw new ValidationError(`${field}: ${err.message}`);
      throw err;
    }
  }

  /** An SDK failure as a ValidationError (retrying cannot help) or a plain, retryable Error. */
  failure(err: unknown, step: string): Error {
    const e = err as SdkError;
    const status = e.$metadata?.httpStatusCode;
    const where = `${this.description}: cannot ${step}`;
    const code = `${e.name}${status ? `, HTTP ${status}` : ''}`;
    if (e.name === 'NoSuchBucket') {
      return new ValidationError(
        `${where}: the bucket "${this.location.bucket}" does not exist${this.at()} (NoSuchBucket)`,
      );
    }
    if (ACCESS_ERRORS.has(e.name) || status === 401 || status === 403) {
      return new ValidationError(
        `${where}: access denied (${code}); check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and that their policy allows s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on ${this.url}`,
      );
    }
    if (e.name === 'CredentialsProviderError') {
      return new ValidationError(
        `${where}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE): ${e.message}`,
      );
    }
    if (/region is missing/i.test(e.message)) {
      return new ValidationError(`${where}: no AWS region (set AWS_REGION)`);
    }
    const transient =
      status === undefined ||
      status >= 500 ||
      status === 408 ||
      status === 429 ||
      TRANSIENT_ERRORS.has(e.name);
    if (!transient) {
      return new ValidationError(`${where}: S3 refused the request (${code}): ${e.message}`);
    }
    const reason = e.code ?? e.name;
    const tries = e.$metadata?.attempts ? `, ${e.$metadata.attempts} attempts` : '';
    return new Error(`${where}${this.at()}: ${e.message} (${reason}${tries})`);
  }

  /** " at <endpoint> (<variable>)" when a custom endpoint is in use. */
  private at(): string {
    const { endpoint, endpointVariable } = this.settings;
    return endpoint ? ` at ${endpoint} (${endpointVariable})` : '';
  }
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of an object's bytes, streamed. */
export async function sha256OfObject(bucket: S3Bucket, key: string): Promise<string> {
  return sha256Of(await bucket.stream(key));
}
