// What activities read back from a run's artifact folder, cached per worker process: a chunk
// activity runs hundreds of times per run, and re-reading the catalogue or re-parsing the
// taxonomy each time would cost more than generating the chunk.

import { readFileSync, statSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { type CountModel, checkCountModel } from '../core/counts/index.js';
import {
  loadTaxonomy,
  readTagCorpus,
  type TagCorpus,
  type Taxonomy,
} from '../core/inputs/index.js';
import {
  type ArtifactStore,
  openArtifactStore,
  runKey,
  withLocalCopies,
} from '../core/io/index.js';
import { isS3Url } from '../core/s3-url.js';

/** Artifact keys of a run's stage outputs, relative to the run folder. */
export const RUN_FILES = {
  catalogue: 'catalogue.arrow',
  countModel: 'count-model.json',
  counts: 'counts.arrow',
  generated: 'generated',
  dedupe: 'dedupe',
  dedupeReport: 'dedupe/report.json',
  split: 'split',
  splitReport: 'split/report.json',
  coverageScan: 'coverage/scan.bin',
  coverageRows: 'coverage/rows.arrow',
  coverageReport: 'coverage/report.json',
  report: 'report',
  model: 'model',
  scratch: 'scratch',
  published: 'published.json',
} as const;

const LIMIT = 8;
const caches = new Map<string, Map<string, unknown>>();

/** A small per-process cache: the oldest entry goes when more than LIMIT are held. */
function cached<T>(kind: string, key: string, load: () => T): T {
  let cache = caches.get(kind);
  if (!cache) {
    cache = new Map();
    caches.set(kind, cache);
  }
  if (cache.has(key)) return cache.get(key) as T;
  const value = load();
  cache.set(key, value);
  if (cache.size > LIMIT) cache.delete(cache.keys().next().value as string);
  return value;
}

/** A file's identity for caching: path plus size and modification time, so a rewrite is seen. */
function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${path}|${s.size}|${s.mtimeMs}`;
  } catch {
    return path; // the loader reports the missing file
  }
}

/** The store `artifacts` names: a folder, or an S3 bucket read through this worker's cache. */
export function artifactStore(root: string): ArtifactStore {
  return cached('store', root, () => openArtifactStore(root));
}

/**
 * Runs `use` on a model pack as a local folder. A pack trained by the run lives in the
 * artifact store; in S3 it is fetched into this worker's cache (and kept there while used).
 */
export async function withModelPack<T>(pack: string, use: (dir: string) => Promise<T>): Promise<T> {
  if (!isS3Url(pack)) return use(pack);
  const copies = await artifactStore(pack).readLocalFolder('');
  try {
    return await use(copies.paths[0]);
  } finally {
    copies.release();
  }
}

export function runTaxonomy(path: string): Taxonomy {
  return cached('taxonomy', stamp(path), () => loadTaxonomy(path));
}

export interface CatalogueRows {
  ids: string[];
  /** Per row, all its tag ids grouped by category in taxonomy order. */
  tags: Uint16Array[];
}

/** Reads the catalogue a run's first stage wrote (ids and tag lists). */
export function runCatalogue(
  store: ArtifactStore,
  runId: string,
  taxonomy: Taxonomy,
): Promise<CatalogueRows> {
  return withLocalCopies(store, [runKey(runId, RUN_FILES.catalogue)], ([path]) =>
    cached('catalogue', stamp(path), () => {
      const table = tableFromIPC(readFileSync(path));
      const ids = table.getChild('id')!.toArray() as string[];
      const columns = taxonomy.categories.map((c) => table.getChild(`${c}_tags`)!);
      const tags = ids.map((_, row) => {
        const parts = columns.map((column) => column.get(row)!.toArray() as Uint16Array);
        const out = new Uint16Array(parts.reduce((n, p) => n + p.length, 0));
        let offset = 0;
        for (const p of parts) {
          out.set(p, offset);
          offset += p.length;
        }
        return out;
      });
      return { ids: Array.from(ids), tags };
    }),
  );
}

/** Requested counts of the catalogue rows (rows × categories), as stage 2 wrote them. */
export function runSeededCounts(
  store: ArtifactStore,
  runId: string,
  taxonomy: Taxonomy,
): Promise<Uint8Array> {
  return withLocalCopies(store, [runKey(runId, RUN_FILES.counts)], ([path]) =>
    cached('counts', stamp(path), () => {
      const table = tableFromIPC(readFileSync(path));
      const C = taxonomy.categories.length;
      const out = new Uint8Array(table.numRows * C);
      taxonomy.categories.forEach((category, c) => {
        const column = table.getChild(category)!.toArray() as Uint8Array;
        for (let r = 0; r < table.numRows; r++) out[r * C + c] = column[r];
      });
      return out;
    }),
  );
}

export function runCountModel(store: ArtifactStore, runId: string): Promise<CountModel> {
  const key = runKey(runId, RUN_FILES.countModel);
  return withLocalCopies(store, [key], ([path]) =>
    cached('countModel', stamp(path), () =>
      checkCountModel(JSON.parse(readFileSync(path, 'utf8')), store.location(key)),
    ),
  );
}

/**
 * A reference corpus, parsed once per worker process: counts are fitted on it and the run is
 * evaluated against it. A failed read is not cached.
 */
export function runTagCorpus(params: {
  path: string;
  taxonomy: Taxonomy;
  tagColumns?: Record<string, string>;
}): Promise<TagCorpus> {
  const key = `${stamp(params.path)}|${params.taxonomy.hash}|${JSON.stringify(params.tagColumns ?? {})}`;
  const pending = cached('tagCorpus', key, () => readTagCorpus(params));
  pending.catch(() => caches.get('tagCorpus')?.delete(key));
  return pending;
}

/** Forgets cached run inputs (tests that rewrite a run folder in one process). */
export function clearRunInputCaches(): void {
  caches.clear();
}
