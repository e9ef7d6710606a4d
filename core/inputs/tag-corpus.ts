// The reference (training) corpus: rows of tags per category, no ids needed — for example
// musiccaps_distilled.csv, whose tag cells are comma-joined strings, empty when none. It is
// what the count model is fitted on, generated data is evaluated against, and a model is
// trained on. Read with exactly the catalogue's rules (see tag-columns.ts).
import type { TableFormat } from './table-format.js';
import {
  mapTagColumns,
  type TagColumnRules,
  type UnknownTagPolicy,
  type UnknownTagReport,
} from './tag-columns.js';
import { readRawTable } from './tag-table-reader.js';
import type { Taxonomy } from './taxonomy.js';

export interface TagCorpus {
  /** The path, as given. */
  source: string;
  /** sha256 of the source file's bytes, hex. */
  sha256: string;
  rows: number;
  /** Taxonomy categories, in order (the columns of `counts`). */
  categories: string[];
  /** Per row: its tag ids, grouped by category in taxonomy order, deduplicated within the row. */
  tags: Uint16Array[];
  /** rows × categories, row-major: number of (distinct, known) tags of each category. */
  counts: Uint8Array;
  /** Empty under `error` (unknown tags throw); the dropped tags under `drop`. */
  unknown: UnknownTagReport[];
  /** Taxonomy categories with no column in the file, treated as empty. */
  missingCategories: string[];
}

/**
 * Reads a tag corpus. Columns as in the catalogue (tag-columns.ts): a missing default column
 * is an empty category unless another column looks like a misspelling of it.
 */
export async function readTagCorpus(
  params: {
    path: string;
    taxonomy: Taxonomy;
    unknownTags?: UnknownTagPolicy;
    format?: TableFormat;
  } & TagColumnRules,
): Promise<TagCorpus> {
  const what = 'tag corpus';
  const raw = await readRawTable({ path: params.path, what, format: params.format });
  const mapped = mapTagColumns({
    table: raw,
    what,
    taxonomy: params.taxonomy,
    tagColumns: params.tagColumns,
    requireAllCategories: params.requireAllCategories,
    configField: params.configField,
    otherColumns: params.otherColumns,
    unknownTags: params.unknownTags,
  });
  return {
    source: params.path,
    sha256: raw.sha256,
    rows: raw.rows,
    categories: mapped.categories,
    tags: mapped.tags,
    counts: mapped.counts,
    unknown: mapped.unknown,
    missingCategories: mapped.missingCategories,
  };
}
