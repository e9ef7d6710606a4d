// The s3://<bucket>/<prefix> target. S3 has no rename, so "appears whole" rests on the marker:
// the dataset is built in a local staging folder (dataset-files.ts), and then
//   1. `.tagflow-publishing.json` goes up (a publish is under way: a retry may take over);
//   2. an earlier dataset's marker is deleted (readers stop trusting the old file list);
//   3. every file is uploaded, and files of the earlier dataset that are not in this one are
//      deleted;
//   4. the marker `.tagflow-dataset.json`, listing every file's sha256, goes up last;
//   5. `.tagflow-publishing.json` is deleted.
// A dataset is complete exactly when its marker is there, and `tagflow verify s3://…` checks
// every file against it. The prefix must be empty, an earlier tagflow dataset, or a publish
// that stopped half-way; anything else is refused before a byte is written.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { S3Bucket, type S3Object } from '../io/index.js';
import { parseS3Url, s3UrlOf } from '../s3-url.js';
import { type BuildDatasetParams, type BuiltDataset, buildDatasetFiles } from './dataset-files.js';
import { DATASET_MARKER, renderDatasetMarker } from './publish-folder.js';

/** Present while a publish is under way (removed once the marker is up). */
export const PUBLISHING_MARKER = '.tagflow-publishing.json';

/** Parallel uploads. */
const UPLOADS = 4;

export function s3TargetBucket(target: string): S3Bucket {
  const location = parseS3Url(target, 'output.target');
  return new S3Bucket(location, `publish target ${s3UrlOf(location)}`);
}

/**
 * What the target holds now (its objects), after checking that it may be published to: empty,
 * an earlier tagflow dataset (a valid marker), or a publish that stopped half-way.
 */
async function inspectS3Target(bucket: S3Bucket): Promise<S3Object[]> {
  const objects = await bucket.list('');
  if (objects.length === 0) return objects;
  const keys = new Set(objects.map((o) => o.key));
  if (keys.has(DATASET_MARKER)) {
    const text = (await bucket.read(DATASET_MARKER))?.toString('utf8');
    let problem = 'it disappeared while being read';
    try {
      if (text !== undefined) {
        if (JSON.parse(text)?.format === 'tagflow-dataset') return objects;
        problem = 'it does not say format "tagflow-dataset"';
      }
    } catch (err) {
      problem = `it is not readable JSON: ${(err as Error).message}`;
    }
    throw new ValidationError(
      `${bucket.description} has an invalid ${DATASET_MARKER} (${problem}); refusing to replace it — choose another target, or remove the objects if they are yours to replace`,
    );
  }
  if (keys.has(PUBLISHING_MARKER)) return objects;
  throw new ValidationError(
    `${bucket.description} holds ${objects.length} object${objects.length === 1 ? '' : 's'} (${objects[0].key}${objects.length > 1 ? ', …' : ''}) and is not a tagflow dataset (no ${DATASET_MARKER}); refusing to replace them — choose another target or remove them`,
  );
}

/**
 * Checks, before any work is done, that an S3 target can be published to: the bucket exists,
 * the credentials may list it, and the prefix holds nothing that is not ours to replace.
 */
export async function preflightS3Target(target: string): Promise<void> {
  await inspectS3Target(s3TargetBucket(target));
}

/** Builds the dataset in `workDir` and uploads it to `target` as the file comment says. */
export async function publishToS3(
  params: Omit<BuildDatasetParams, 'dir'> & { target: string; workDir: string },
): Promise<BuiltDataset> {
  const bucket = s3TargetBucket(params.target);
  const before = await inspectS3Target(bucket);
  mkdirSync(params.workDir, { recursive: true });
  const staging = mkdtempSync(join(params.workDir, 'publish-'));
  try {
    const built = await buildDatasetFiles({ ...params, dir: staging });
    const marker = renderDatasetMarker(params.card, built.files);
    await bucket.write(
      PUBLISHING_MARKER,
      `${JSON.stringify({ runId: params.card.runId })}\n`,
      'application/json',
    );
    if (before.some((o) => o.key === DATASET_MARKER)) await bucket.remove([DATASET_MARKER]);
    const queue = [...built.files];
    await Promise.all(
      Array.from({ length: UPLOADS }, async () => {
        for (let file = queue.shift(); file; file = queue.shift())
          await bucket.upload(file.path, join(staging, file.path), file.sha256);
      }),
    );
    const keep = new Set([...built.files.map((f) => f.path), PUBLISHING_MARKER, DATASET_MARKER]);
    await bucket.remove(before.map((o) => o.key).filter((k) => !keep.has(k)));
    await bucket.write(DATASET_MARKER, marker, 'application/json');
    await bucket.remove([PUBLISHING_MARKER]);
    return built;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
