import { createHash } from 'node:crypto';
// The artifact store contract (artifact-store.ts) on a local folder and in S3 alike, against a
// real S3-compatible server (moto); then what only the S3 store does: its bounded cache, a
// changed object fetched again, several workers with their own caches sharing one bucket.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { type ArtifactStore, LocalArtifactStore, runKey } from '../../../core/io/artifact-store.js';
import { S3ArtifactStore } from '../../../core/io/s3-artifact-store.js';
import { S3Bucket, s3SettingsFromEnv } from '../../../core/io/s3-bucket.js';
import { freePort } from '../../../infra/dev-server.js';
import { tempDir } from '../../helpers/pipeline.js';
import { startS3Server, useS3Server } from '../../helpers/s3-server.js';

const s3 = useS3Server();

/** A store in a fresh bucket, its cache in a folder of its own (a worker of its own). */
async function s3Store(options: { maxBytes?: number; bucket?: string; prefix?: string } = {}) {
  const bucket = options.bucket ?? (await s3.server.createBucket());
  const cacheDir = tempDir('s3-cache');
  const store = new S3ArtifactStore(`s3://${bucket}/${options.prefix ?? 'team/artifacts'}`, {
    cache: { dir: cacheDir, maxBytes: options.maxBytes ?? 1024 ** 3 },
  });
  return { store, bucket, cacheDir };
}

const kinds: [string, () => Promise<ArtifactStore>][] = [
  ['a local folder', async () => new LocalArtifactStore(tempDir('store'))],
  ['S3', async () => (await s3Store()).store],
];

describe.each(kinds)('the artifact store contract on %s', (_, open) => {
  it('writes and reads JSON, lists keys sorted, removes files and folders', async () => {
    const store = await open();
    for (const k of ['b/2.json', 'a.json', 'b/1.json', 'c/deep/x.json'])
      await store.writeJson(runKey('r', k), { k });
    await store.writeJson(runKey('other', 'z.json'), {});
    expect(await store.readJson(runKey('r', 'b/1.json'))).toEqual({ k: 'b/1.json' });
    expect(await store.list(runKey('r'))).toEqual([
      'runs/r/a.json',
      'runs/r/b/1.json',
      'runs/r/b/2.json',
      'runs/r/c/deep/x.json',
    ]);
    expect(await store.list('runs/none')).toEqual([]);
    expect(await store.exists(runKey('r', 'b'))).toBe(true);
    expect(await store.exists(runKey('r', 'a.json'))).toBe(true);
    expect(await store.exists(runKey('r', 'nothing'))).toBe(false);
    await store.remove(runKey('r', 'b'));
    expect(await store.list(runKey('r'))).toEqual(['runs/r/a.json', 'runs/r/c/deep/x.json']);
    await store.remove(runKey('r'));
    expect(await store.exists(runKey('r'))).toBe(false);
    expect(await store.list('runs')).toEqual(['runs/other/z.json']);
    await store.remove(runKey('never-there'));
    await expect(store.readJson(runKey('r', 'a.json'))).rejects.toThrow();
  });

  it('commits files and folders written at writePath, and reads them back as local copies', async () => {
    const store = await open();
    const file = runKey('r', 'generated', 'c.arrow');
    writeFileSync(store.writePath(file), 'chunk bytes');
    await store.commit(file);
    const folder = runKey('r', 'dedupe');
    const dir = store.writePath(folder);
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'one.arrow'), 'one');
    writeFileSync(join(dir, 'sub', 'two.arrow'), 'two');
    expect(store.keyOf(join(dir, 'sub', 'two.arrow'))).toBe(`${folder}/sub/two.arrow`);
    await store.commit(folder);

    expect(await store.list(runKey('r'))).toEqual([
      `${folder}/one.arrow`,
      `${folder}/sub/two.arrow`,
      file,
    ]);
    const copies = await store.readLocal([`${folder}/sub/two.arrow`, file]);
    expect(copies.paths.map((p) => readFileSync(p, 'utf8'))).toEqual(['two', 'chunk bytes']);
    copies.release();
    const entries = await store.entries(runKey('r'));
    expect(entries.map((e) => e.bytes)).toEqual([3, 3, 11]);
    expect(Math.min(...entries.map((e) => e.modified))).toBeGreaterThan(Date.now() - 120_000);
    expect(await store.describe(file)).toEqual({
      bytes: 11,
      sha256: createHash('sha256').update('chunk bytes').digest('hex'),
    });
    const pack = await store.readLocalFolder(folder);
    expect(readFileSync(join(pack.paths[0], 'sub', 'two.arrow'), 'utf8')).toBe('two');
    pack.release();
  });

  it('refuses keys that leave the store', async () => {
    const store = await open();
    for (const key of ['../x.json', 'runs/../../x', '/etc/passwd'])
      await expect(store.writeJson(key, {})).rejects.toThrow(/must be a relative path inside/);
  });
});

describe('the S3 artifact store', () => {
  it('keeps objects under its prefix, names them by s3:// URL, and probes the bucket', async () => {
    const { store, bucket } = await s3Store({ prefix: 'team/artifacts/' });
    expect(store.root).toBe(`s3://${bucket}/team/artifacts`);
    await store.writeJson(runKey('r', 'run.json'), { ok: true });
    expect(store.location(runKey('r', 'model'))).toBe(`s3://${bucket}/team/artifacts/runs/r/model`);
    const whole = new S3Bucket({ bucket, prefix: '' }, 'bucket');
    expect((await whole.list('')).map((o) => o.key)).toEqual(['team/artifacts/runs/r/run.json']);
    await store.probe('artifacts');
    expect((await whole.list('')).map((o) => o.key)).toEqual(['team/artifacts/runs/r/run.json']);
  });

  it('keeps the sha256 of a committed file as metadata, so describing it reads no bytes', async () => {
    const { store } = await s3Store();
    const key = runKey('r', 'c.arrow');
    writeFileSync(store.writePath(key), 'abc');
    await store.commit(key, 'not-the-real-digest'); // trusted as given: the writer computed it
    expect(await store.describe(key)).toEqual({ bytes: 3, sha256: 'not-the-real-digest' });
    writeFileSync(store.writePath(key), 'abc');
    await store.commit(key);
    expect((await store.describe(key)).sha256).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('shows one worker what another committed, and fetches an object again once it changed', async () => {
    const first = await s3Store();
    const second = await s3Store({ bucket: first.bucket });
    const key = runKey('r', 'catalogue.arrow');
    writeFileSync(first.store.writePath(key), 'version 1');
    await first.store.commit(key);
    const a = await second.store.readLocal([key]);
    expect(readFileSync(a.paths[0], 'utf8')).toBe('version 1');
    a.release();
    expect(a.paths[0].startsWith(second.cacheDir)).toBe(true);

    writeFileSync(first.store.writePath(key), 'version 2, longer');
    await first.store.commit(key);
    const b = await second.store.readLocal([key]);
    expect(readFileSync(b.paths[0], 'utf8')).toBe('version 2, longer');
    b.release();
  });

  it('bounds its cache: files in use stay, the least recently used others go', async () => {
    const { store, cacheDir } = await s3Store({ maxBytes: 2500 });
    const keys = ['a', 'b', 'c'].map((k) => runKey('r', `${k}.bin`));
    const writer = (await s3Store({ bucket: store.root.split('/')[2] })).store;
    for (const key of keys) {
      writeFileSync(writer.writePath(key), Buffer.alloc(1000, key.at(-5)));
      await writer.commit(key);
    }
    // One at a time, so that a is the least recently used, then b.
    const leases = [];
    for (const key of keys) leases.push(await store.readLocal([key]));
    const inUse = { paths: leases.flatMap((l) => l.paths) };
    // Over the bound while all three are in use: none may go.
    expect(inUse.paths.every((p) => existsSync(p))).toBe(true);
    expect(inUse.paths.every((p) => p.startsWith(cacheDir))).toBe(true);
    for (const lease of leases) lease.release();
    // Released: the least recently used goes, down to the bound.
    expect(inUse.paths.map((p) => existsSync(p))).toEqual([false, true, true]);
    const again = await store.readLocal([keys[0]]);
    expect(readFileSync(again.paths[0]).length).toBe(1000);
    again.release();
    expect(inUse.paths.map((p) => existsSync(p))).toEqual([true, false, true]);
  });

  it('names a missing object in a retryable error', async () => {
    const { store } = await s3Store();
    const err = await store.readLocal([runKey('r', 'gone.arrow')]).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/artifact store s3:\/\/.*: runs\/r\/gone\.arrow does not exist/);
  });

  it('refuses a missing bucket for good, naming it', async () => {
    const store = new S3ArtifactStore('s3://no-such-bucket-tagflow/x', {
      cache: { dir: tempDir('s3-cache'), maxBytes: 1e6 },
    });
    const err = await store.probe('artifacts').catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(
      /^artifacts: artifact store s3:\/\/no-such-bucket-tagflow\/x: cannot write \.tagflow-probe-\S+: the bucket "no-such-bucket-tagflow" does not exist at http:\/\/127\.0\.0\.1:\d+ \(AWS_ENDPOINT_URL_S3\) \(NoSuchBucket\)$/,
    );
  });

  it('refuses credentials the server does not accept for good, saying access was denied', async () => {
    const strict = await startS3Server({ auth: true });
    try {
      const store = new S3ArtifactStore('s3://some-bucket/x', {
        cache: { dir: tempDir('s3-cache'), maxBytes: 1e6 },
        settings: s3SettingsFromEnv(strict.env),
      });
      const err = await store.list('runs').catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toMatch(
        /cannot list runs\/: access denied \(InvalidAccessKeyId, HTTP 403\); check the credentials/,
      );
    } finally {
      await strict.stop();
    }
  });

  it('fails an unreachable endpoint with a retryable error after the SDK retried', async () => {
    const port = await freePort();
    const settings = s3SettingsFromEnv({
      ...s3.server.env,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    });
    const store = new S3ArtifactStore('s3://some-bucket/x', {
      cache: { dir: tempDir('s3-cache'), maxBytes: 1e6 },
      settings,
    });
    const err = await store.writeJson('runs/r/a.json', {}).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(
      new RegExp(
        `cannot write runs/r/a\\.json at http://127\\.0\\.0\\.1:${port} \\(AWS_ENDPOINT_URL_S3\\): .*ECONNREFUSED.*\\d attempts\\)$`,
      ),
    );
  });
});
