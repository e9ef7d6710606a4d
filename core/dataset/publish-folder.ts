// The file:// target: the dataset is built (dataset-files.ts) in a temp folder beside the
// target (same filesystem), flushed, and swapped in by rename, so the target never holds half a
// dataset. Its marker file lets a later run replace this folder, and nothing else.
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ValidationError } from '../errors.js';
import { swapFolderInto } from '../swap-folder.js';
import { version } from '../version.js';
import {
  type BuildDatasetParams,
  type BuiltDataset,
  buildDatasetFiles,
  type PublishedFile,
} from './dataset-files.js';

export const DATASET_MARKER = '.tagflow-dataset.json';

/** The marker: says the folder (or repo) is a tagflow dataset and lists its files' digests. */
export interface DatasetMarker {
  format: 'tagflow-dataset';
  formatVersion: 1;
  toolVersion: string;
  name: string;
  runId: string;
  /** Every file of the dataset but the marker, sorted by path. */
  files: PublishedFile[];
}

/** The marker's text for a built dataset (the same bytes for the same files). */
export function renderDatasetMarker(
  card: { name: string; runId: string },
  files: PublishedFile[],
): string {
  const marker: DatasetMarker = {
    format: 'tagflow-dataset',
    formatVersion: 1,
    toolVersion: version,
    name: card.name,
    runId: card.runId,
    files,
  };
  return `${JSON.stringify(marker, null, 2)}\n`;
}

function fsyncPath(path: string) {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a built folder: its files (Parquet shards were flushed as written) and folders. */
function fsyncTree(dir: string) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(full);
    else if (!entry.name.endsWith('.parquet')) fsyncPath(full);
  }
  fsyncPath(dir);
}

/** What is at the target now: nothing, an empty folder, or an earlier tagflow dataset. */
function inspectTarget(target: string): 'missing' | 'replaceable' {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(target);
  } catch {
    return 'missing';
  }
  if (!stat.isDirectory()) {
    throw new ValidationError(
      `publish target ${target} exists and is not a folder; refusing to replace it`,
    );
  }
  if (existsSync(join(target, DATASET_MARKER))) {
    let problem: string;
    try {
      const marker = JSON.parse(readFileSync(join(target, DATASET_MARKER), 'utf8'));
      if (marker?.format === 'tagflow-dataset') return 'replaceable';
      problem = 'it does not say format "tagflow-dataset"';
    } catch (err) {
      problem = `it is not readable JSON: ${(err as Error).message}`;
    }
    throw new ValidationError(
      `publish target ${target} has an invalid ${DATASET_MARKER} (${problem}); refusing to replace it — choose another target, or remove the folder if it is yours to replace`,
    );
  }
  if (readdirSync(target).length === 0) return 'replaceable';
  throw new ValidationError(
    `publish target ${target} exists and is not a tagflow dataset (no ${DATASET_MARKER}); refusing to replace it — choose another target or remove it`,
  );
}

/**
 * Checks, before any work is done, that a folder target can be published to: it is absent,
 * empty or an earlier tagflow dataset, and its nearest existing ancestor is writable. A run
 * calls this at its first stage so that a bad target fails the run at once, untouched.
 */
export function preflightFolderTarget(target: string): void {
  inspectTarget(target);
  let dir = dirname(target);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) {
    throw new ValidationError(`publish target ${target}: ${dir} is a file, not a folder`);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new ValidationError(`publish target ${target}: ${dir} is not writable`);
  }
}

function randomSuffix() {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Builds the dataset beside `targetDir` and swaps it in. An earlier tagflow dataset there is
 * replaced; anything else is refused with a ValidationError, as is a parent that cannot be
 * written. On failure the target is left as it was.
 */
export async function publishToFolder(
  params: Omit<BuildDatasetParams, 'dir'> & { targetDir: string },
): Promise<BuiltDataset> {
  const target = params.targetDir;
  const parent = dirname(target);
  const state = inspectTarget(target);
  const staging = `${target}.tmp-${randomSuffix()}`;
  try {
    mkdirSync(parent, { recursive: true });
    mkdirSync(staging);
  } catch (err) {
    throw new ValidationError(
      `publish target ${target}: cannot create folders in ${parent} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    const built = await buildDatasetFiles({ ...params, dir: staging });
    writeFileSync(join(staging, DATASET_MARKER), renderDatasetMarker(params.card, built.files));
    fsyncTree(staging);
    // inspectTarget refused anything there that is not ours to replace.
    if (state === 'replaceable') swapFolderInto(staging, target, `${target}.old-${randomSuffix()}`);
    else renameSync(staging, target);
    fsyncPath(parent);
    return built;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}
