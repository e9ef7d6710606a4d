// Stage 7: publish the split rows as a Hugging Face dataset, to a local folder (file://,
// the default and the offline path), to the Hub (hf://datasets/<owner>/<name>) or to an S3
// prefix (s3://<bucket>/<prefix>).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
import { isS3Url, parseS3Url, type S3Location, s3UrlOf } from '../s3-url.js';
import type { DatasetCardInfo } from './dataset-card.js';
import { buildDatasetFiles, type PublishedFile } from './dataset-files.js';
import { DATASET_MARKER, publishToFolder, renderDatasetMarker } from './publish-folder.js';
import { checkRepoId, type HubOptions, publishToHub } from './publish-hub.js';
import { publishToS3 } from './publish-s3.js';
import type { DatasetRecipe } from './recipe.js';
import type { SplitName } from './split.js';

export type PublishTarget =
  | { kind: 'folder'; dir: string }
  | { kind: 'hub'; repo: string }
  | ({ kind: 's3'; url: string } & S3Location);

/** Parses `file:///abs/dir`, `hf://datasets/<owner>/<name>` or `s3://<bucket>/<prefix>`. */
export function parsePublishTarget(target: string): PublishTarget {
  if (target.startsWith('file:')) {
    let dir: string;
    try {
      dir = fileURLToPath(target);
    } catch (err) {
      throw new ValidationError(
        `publish target "${target}": not a valid file URL (${(err as Error).message}); use file:///absolute/path`,
      );
    }
    if (!isAbsolute(dir)) {
      throw new ValidationError(`publish target "${target}": the folder must be absolute`);
    }
    return { kind: 'folder', dir: resolve(dir) };
  }
  if (target.startsWith('hf://')) {
    const match = /^hf:\/\/datasets\/([^/]+\/[^/]+)\/?$/.exec(target);
    if (!match) {
      throw new ValidationError(
        `publish target "${target}": expected hf://datasets/<owner>/<name> (only dataset repos are supported)`,
      );
    }
    return { kind: 'hub', repo: checkRepoId(match[1]) };
  }
  if (isS3Url(target)) {
    const location = parseS3Url(target, 'publish target');
    return { kind: 's3', url: s3UrlOf(location), ...location };
  }
  throw new ValidationError(
    `publish target "${target}": expected file:///absolute/folder, hf://datasets/<owner>/<name> or s3://<bucket>/<prefix>`,
  );
}

/** The default target: ./out/<dataset name> under `cwd`, as a file:// URL. */
export function defaultPublishTarget(name: string, cwd = process.cwd()): string {
  return pathToFileURL(resolve(cwd, 'out', name)).href;
}

export interface PublishDatasetParams {
  target: string;
  /** Generated-row Arrow files per split, each in the stable order. */
  splitFiles: Record<SplitName, string[]>;
  taxonomy: Taxonomy;
  card: DatasetCardInfo;
  /** Also write csv/<split>.csv in the notebook's format. */
  csv?: boolean;
  /** Arrow bytes per Parquet shard (default 256 MiB). */
  maxShardBytes?: number;
  /** Rows per Parquet row group (default 100,000). */
  rowGroupRows?: number;
  /** Hub only: create the repo private. */
  private?: boolean;
  hub?: HubOptions;
  /** Written as tagflow.yaml (linked from the card, listed in the marker). */
  recipe?: DatasetRecipe;
  /** Scratch space (Hub and S3 targets: the files are built here before the upload). */
  workDir: string;
}

export interface PublishDatasetResult {
  target: string;
  files: PublishedFile[];
  splits: Record<string, number>;
  commit?: { oid: string; url?: string; alreadyPublished: boolean };
}

export async function publishDataset(params: PublishDatasetParams): Promise<PublishDatasetResult> {
  const target = parsePublishTarget(params.target);
  const splitsOf = (built: { splits: { name: string; numExamples: number }[] }) =>
    Object.fromEntries(built.splits.map((s) => [s.name, s.numExamples]));

  if (target.kind === 'folder') {
    const built = await publishToFolder({ ...params, targetDir: target.dir });
    return { target: params.target, files: built.files, splits: splitsOf(built) };
  }
  if (target.kind === 's3') {
    const built = await publishToS3({ ...params, target: target.url });
    return { target: target.url, files: built.files, splits: splitsOf(built) };
  }

  mkdirSync(params.workDir, { recursive: true });
  const staging = mkdtempSync(join(params.workDir, 'publish-'));
  try {
    const built = await buildDatasetFiles({
      ...params,
      card: { ...params.card, repoId: params.card.repoId ?? target.repo },
      dir: staging,
    });
    // The marker goes up too: `tagflow verify hf://…` checks the repo against it.
    writeFileSync(join(staging, DATASET_MARKER), renderDatasetMarker(params.card, built.files));
    const commit = await publishToHub({
      ...params.hub,
      repo: target.repo,
      runId: params.card.runId,
      private: params.private,
      files: [...built.files.map((f) => f.path), DATASET_MARKER].map((path) => ({
        path,
        localPath: join(staging, path),
      })),
      description: `${params.card.name}: ${Object.entries(splitsOf(built))
        .map(([name, rows]) => `${name} ${rows}`)
        .join(', ')} rows.`,
    });
    return { target: params.target, files: built.files, splits: splitsOf(built), commit };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
