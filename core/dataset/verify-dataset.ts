// `tagflow verify`: a published dataset's files against the digests its marker
// (.tagflow-dataset.json) lists — missing, extra and altered files — and the same check of a
// reproduction against the dataset it reproduces.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { PublishedFile } from './dataset-files.js';
import { type DatasetSource, describeLocation, openDatasetSource } from './dataset-source.js';
import { DATASET_MARKER, type DatasetMarker } from './publish-folder.js';

const MarkerSchema = z.object({
  format: z.literal('tagflow-dataset'),
  formatVersion: z.literal(1),
  toolVersion: z.string(),
  name: z.string(),
  runId: z.string(),
  files: z.array(
    z.object({
      path: z.string().min(1),
      bytes: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

export interface FileProblem {
  kind: 'missing' | 'extra' | 'altered';
  path: string;
  /** For altered files: what was expected and what is there. */
  detail?: string;
}

export function describeProblem(p: FileProblem): string {
  return `${p.kind}: ${p.path}${p.detail ? ` (${p.detail})` : ''}`;
}

export function parseDatasetMarker(text: string, where: string): DatasetMarker {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(
      `${where}: its ${DATASET_MARKER} is invalid: not JSON (${(err as Error).message})`,
    );
  }
  const result = MarkerSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ValidationError(
      `${where}: its ${DATASET_MARKER} is invalid (${issue.path.join('.') || 'content'}: ${issue.message})`,
    );
  }
  return result.data;
}

export interface PublishedMarker {
  marker: DatasetMarker;
  /** The marker file's own sha256. */
  sha256: string;
}

/** The dataset's marker; a clear error when there is none or it is not ours. */
export async function readDatasetMarker(source: DatasetSource): Promise<PublishedMarker> {
  const where = describeLocation(source.location);
  const bytes = await source.read(DATASET_MARKER);
  if (!bytes) {
    throw new ValidationError(
      `${where} is not a tagflow dataset, or not a whole one: it has no ${DATASET_MARKER} (the list of its files' digests that every publish writes)`,
    );
  }
  return {
    marker: parseDatasetMarker(bytes.toString('utf8'), where),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** `source`'s files against `expected`: missing, altered (by size, then sha256) and extra ones. */
export async function checkFiles(
  source: DatasetSource,
  expected: readonly PublishedFile[],
  ignore: readonly string[] = [DATASET_MARKER],
): Promise<FileProblem[]> {
  const present = new Map((await source.list()).map((e) => [e.path, e]));
  const problems: FileProblem[] = [];
  const wanted = new Set<string>();
  for (const file of expected) {
    wanted.add(file.path);
    const entry = present.get(file.path);
    if (!entry) {
      problems.push({ kind: 'missing', path: file.path });
      continue;
    }
    if (entry.bytes !== file.bytes) {
      problems.push({
        kind: 'altered',
        path: file.path,
        detail: `expected ${file.bytes} bytes, found ${entry.bytes}`,
      });
      continue;
    }
    const sha256 = entry.sha256 ?? (await source.sha256(file.path));
    if (sha256 !== file.sha256) {
      problems.push({
        kind: 'altered',
        path: file.path,
        detail: `expected sha256 ${file.sha256}, found ${sha256}`,
      });
    }
  }
  for (const path of present.keys()) {
    if (!wanted.has(path) && !ignore.includes(path)) problems.push({ kind: 'extra', path });
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface VerifyResult extends PublishedMarker {
  source: DatasetSource;
  /** Files the marker lists. */
  files: number;
  problems: FileProblem[];
}

/** Checks every file of a published dataset against its marker. */
export async function verifyDataset(source: DatasetSource): Promise<VerifyResult> {
  const published = await readDatasetMarker(source);
  const problems = await checkFiles(source, published.marker.files);
  return { ...published, source, files: published.marker.files.length, problems };
}

/**
 * A reproduction (a folder) against the dataset it reproduces: every file the published marker
 * lists, no other file, and the marker itself byte for byte.
 */
export async function compareWithPublished(
  reproducedDir: string,
  published: PublishedMarker,
): Promise<FileProblem[]> {
  const source = openDatasetSource({ kind: 'folder', dir: reproducedDir });
  const problems = await checkFiles(source, published.marker.files);
  const marker = await source.read(DATASET_MARKER);
  if (!marker) problems.push({ kind: 'missing', path: DATASET_MARKER });
  else if (createHash('sha256').update(marker).digest('hex') !== published.sha256) {
    problems.push({ kind: 'altered', path: DATASET_MARKER, detail: 'its header differs' });
  }
  return problems;
}
