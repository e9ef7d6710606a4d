// Publishing to s3://<bucket>/<prefix> against a real S3-compatible server (moto): the files a
// folder publish writes, the marker last, an earlier dataset replaced, a publish that stopped
// half-way taken over, and anything else refused untouched.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatasetSource, parseDatasetLocation } from '../../../core/dataset/dataset-source.js';
import { publishDataset } from '../../../core/dataset/publish-dataset.js';
import { DATASET_MARKER } from '../../../core/dataset/publish-folder.js';
import { PUBLISHING_MARKER, preflightS3Target } from '../../../core/dataset/publish-s3.js';
import { verifyDataset } from '../../../core/dataset/verify-dataset.js';
import { ValidationError } from '../../../core/errors.js';
import { S3Bucket } from '../../../core/io/index.js';
import { type SplitFixture, splitFixture } from '../../helpers/publish-fixture.js';
import { useS3Server } from '../../helpers/s3-server.js';

const s3 = useS3Server();

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, base) : [relative(base, path)];
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('publishing to S3', () => {
  let fixture: SplitFixture;
  let bucketName: string;
  beforeAll(async () => {
    fixture = await splitFixture(60);
    bucketName = await s3.server.createBucket();
  });

  const publish = (target: string, overrides: Partial<Parameters<typeof publishDataset>[0]> = {}) =>
    publishDataset({
      target,
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      workDir: join(fixture.dir, 'work'),
      ...overrides,
    });
  const objects = async (prefix: string) =>
    (await new S3Bucket({ bucket: bucketName, prefix }, 'test').list('')).map((o) => o.key);

  it('uploads the files a folder publish writes, byte for byte, and the marker that lists them', async () => {
    const folder = join(fixture.dir, 'out', 'reference');
    await publish(pathToFileURL(folder).href);
    const target = `s3://${bucketName}/datasets/first/`;
    const logged = s3.server.log().length;
    const result = await publish(target);
    expect(result.target).toBe(`s3://${bucketName}/datasets/first`);

    const bucket = new S3Bucket({ bucket: bucketName, prefix: 'datasets/first' }, 'test');
    const local = filesUnder(folder).sort();
    expect(await objects('datasets/first')).toEqual(local);
    expect(local).toContain(DATASET_MARKER);
    for (const path of local) {
      const bytes = await bucket.read(path);
      expect(bytes && sha256(bytes), path).toBe(sha256(readFileSync(join(folder, path))));
    }
    const verified = await verifyDataset(openDatasetSource(parseDatasetLocation(target)));
    expect(verified.problems).toEqual([]);
    expect(verified.files).toBe(local.length - 1);
    // The server saw the note first and the marker last.
    const puts = [
      ...s3.server
        .log()
        .slice(logged)
        .matchAll(new RegExp(`"PUT /${bucketName}/datasets/first/([^?\\s]+)\\S* HTTP`, 'g')),
    ].map((m) => m[1]);
    expect(puts).toHaveLength(local.length + 1);
    expect(puts[0]).toBe(PUBLISHING_MARKER);
    expect(puts.at(-1)).toBe(DATASET_MARKER);
    // Nothing left in the scratch folder.
    expect(readdirSync(join(fixture.dir, 'work'))).toEqual([]);
  });

  it('replaces an earlier tagflow dataset, deleting the files the new one does not have', async () => {
    const target = `s3://${bucketName}/datasets/replace`;
    await publish(target, { csv: true });
    expect((await objects('datasets/replace')).some((k) => k.startsWith('csv/'))).toBe(true);
    await publish(target);
    const after = await objects('datasets/replace');
    expect(after.some((k) => k.startsWith('csv/'))).toBe(false);
    expect(after).toContain(DATASET_MARKER);
    expect(after).not.toContain(PUBLISHING_MARKER);
  });

  it('takes over a publish that stopped half-way, which verify does not take for a dataset', async () => {
    const target = `s3://${bucketName}/datasets/half`;
    const bucket = new S3Bucket({ bucket: bucketName, prefix: 'datasets/half' }, 'test');
    // What a publish killed during its uploads leaves: its note, some files, no marker.
    await bucket.write(PUBLISHING_MARKER, '{"runId":"killed"}\n');
    await bucket.write('data/train-00000-of-00009.parquet', 'a torn leftover');
    const source = openDatasetSource(parseDatasetLocation(target));
    await expect(verifyDataset(source)).rejects.toThrow(
      /is not a tagflow dataset, or not a whole one/,
    );

    await publish(target);
    const verified = await verifyDataset(source);
    expect(verified.problems).toEqual([]);
    expect(await objects('datasets/half')).not.toContain('data/train-00000-of-00009.parquet');
  });

  it('refuses a prefix holding objects that are not a tagflow dataset, and leaves them as they were', async () => {
    const target = `s3://${bucketName}/datasets/foreign`;
    const bucket = new S3Bucket({ bucket: bucketName, prefix: 'datasets/foreign' }, 'test');
    await bucket.write('notes.txt', 'mine');
    await expect(preflightS3Target(target)).rejects.toThrow(
      new RegExp(
        `^publish target s3://${bucketName}/datasets/foreign holds 1 object \\(notes\\.txt\\) and is not a tagflow dataset`,
      ),
    );
    await expect(publish(target)).rejects.toThrow(ValidationError);
    await bucket.write(DATASET_MARKER, '{"format": "something-else"}');
    await expect(publish(target)).rejects.toThrow(
      /has an invalid \.tagflow-dataset\.json \(it does not say format "tagflow-dataset"\)/,
    );
    expect(await objects('datasets/foreign')).toEqual([DATASET_MARKER, 'notes.txt']);
  });

  it('refuses a bucket that does not exist before building anything, naming it', async () => {
    const err = await publish('s3://tagflow-missing-bucket/x').catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(
      /^publish target s3:\/\/tagflow-missing-bucket\/x: cannot list the objects: the bucket "tagflow-missing-bucket" does not exist/,
    );
  });
});
