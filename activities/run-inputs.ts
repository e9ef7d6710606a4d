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
import { type ArtifactStore, LocalArtifactStore, runKey } from '../core/io/index.js';

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

export function artifactStore(root: string): ArtifactStore {
  return cached('store', root, () => new LocalArtifactStore(root));
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
): CatalogueRows {
  const path = store.path(runKey(runId, RUN_FILES.catalogue));
  return cached('catalogue', stamp(path), () => {
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
  });
}

/** Requested counts of the catalogue rows (rows × categories), as stage 2 wrote them. */
export function runSeededCounts(
  store: ArtifactStore,
  runId: string,
  taxonomy: Taxonomy,
): Uint8Array {
  const path = store.path(runKey(runId, RUN_FILES.counts));
  return cached('counts', stamp(path), () => {
    const table = tableFromIPC(readFileSync(path));
    const C = taxonomy.categories.length;
    const out = new Uint8Array(table.numRows * C);
    taxonomy.categories.forEach((category, c) => {
      const column = table.getChild(category)!.toArray() as Uint8Array;
      for (let r = 0; r < table.numRows; r++) out[r * C + c] = column[r];
    });
    return out;
  });
}

export function runCountModel(store: ArtifactStore, runId: string): CountModel {
  const key = runKey(runId, RUN_FILES.countModel);
  return cached('countModel', stamp(store.path(key)), () =>
    checkCountModel(store.readJson(key), store.path(key)),
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
