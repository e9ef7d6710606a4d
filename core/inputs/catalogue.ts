// The source catalogue (pipeline stage 1): real tracks with an id and their tags per
// category, read from CSV/TSV, JSON, JSONL, Parquet or Arrow and turned into global tag ids.
// Seeded generation starts from these tracks.
import {
  Field,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Uint16,
  Utf8,
} from 'apache-arrow';
import { ValidationError } from '../errors.js';
import { utf8Data } from '../io/index.js';
import type { TableFormat } from './table-format.js';
import { cellText } from './tag-cell.js';
import {
  mapTagColumns,
  type TagColumnRules,
  type UnknownTagPolicy,
  type UnknownTagReport,
} from './tag-columns.js';
import { readRawTable } from './tag-table-reader.js';
import type { Taxonomy } from './taxonomy.js';

export type { TableFormat, UnknownTagPolicy, UnknownTagReport };

export interface Catalogue {
  /** The path, as given. */
  source: string;
  /** sha256 of the source file's bytes, hex. */
  sha256: string;
  rows: number;
  ids: string[];
  /** Per row: its tag ids, grouped by category in taxonomy order, deduplicated within the row. */
  tags: Uint16Array[];
  /** rows × categories, row-major: how many tags of each category a row has. */
  counts: Uint8Array;
  /**
   * `id` utf8, then `<category>_tags` list<uint16> for every taxonomy category, in taxonomy
   * order (empty lists for missing categories).
   */
  table: Table;
  /** Empty under `error` (unknown tags throw); the dropped tags under `drop`. */
  unknown: UnknownTagReport[];
  /** Taxonomy categories with no column in the file (or opted out), treated as empty. */
  missingCategories: string[];
}

const tagListType = () => new List(new Field('item', new Uint16(), false));

/** The Arrow schema of a catalogue table for `taxonomy`. */
export function catalogueSchema(taxonomy: Taxonomy): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    ...taxonomy.categories.map((category) => new Field(`${category}_tags`, tagListType(), false)),
  ]);
}

/**
 * Reads a catalogue. `tagColumns` maps a category to the column holding its tags (default
 * `<category>_tags`; a configured column must exist; null: the file has none). A default
 * column may be absent unless `requireAllCategories` (the pipeline's rule) or another column
 * looks like a misspelling of it (see tag-columns.ts). Ids must be present, non-empty and unique.
 */
export async function readCatalogue(
  params: {
    path: string;
    taxonomy: Taxonomy;
    idColumn?: string;
    unknownTags?: UnknownTagPolicy;
    format?: TableFormat;
  } & Omit<TagColumnRules, 'otherColumns'>,
): Promise<Catalogue> {
  const { path, taxonomy } = params;
  const idColumn = params.idColumn ?? 'id';
  const what = 'catalogue';
  const prefix = `${what} ${path}`;
  const raw = await readRawTable({ path, what, format: params.format });
  if (!raw.columns.includes(idColumn)) {
    throw new ValidationError(
      `${prefix}: no "${idColumn}" column (columns: ${raw.columns.join(', ')})`,
    );
  }
  const ids = raw.cells(idColumn).map((cell, r) => {
    const id = idText(cell);
    if (id === null) {
      throw new ValidationError(
        `${prefix}: row ${r + 1}, column ${idColumn}: expected a non-empty id, found ${cell === null || cell === undefined ? 'nothing' : cellText(cell)}`,
      );
    }
    return id;
  });
  const firstRowOf = new Map<string, number>();
  ids.forEach((id, r) => {
    const earlier = firstRowOf.get(id);
    if (earlier !== undefined) {
      throw new ValidationError(
        `${prefix}: duplicate id ${JSON.stringify(id)} at rows ${earlier + 1} and ${r + 1}`,
      );
    }
    firstRowOf.set(id, r);
  });
  const mapped = mapTagColumns({
    table: raw,
    what,
    taxonomy,
    tagColumns: params.tagColumns,
    requireAllCategories: params.requireAllCategories,
    configField: params.configField,
    otherColumns: [idColumn],
    unknownTags: params.unknownTags,
  });
  return {
    source: path,
    sha256: raw.sha256,
    rows: raw.rows,
    ids,
    tags: mapped.tags,
    counts: mapped.counts,
    table: catalogueTable(taxonomy, ids, mapped.tags),
    unknown: mapped.unknown,
    missingCategories: mapped.missingCategories,
  };
}

/** An id cell as text: strings (trimmed) and integers; anything else is not an id. */
function idText(cell: unknown): string | null {
  if (typeof cell === 'string') {
    const id = cell.trim();
    return id === '' ? null : id;
  }
  if (typeof cell === 'bigint') return cell.toString();
  if (typeof cell === 'number' && Number.isFinite(cell)) return String(cell);
  return null;
}

/** Builds the catalogue table from ids and grouped tag ids. */
export function catalogueTable(
  taxonomy: Taxonomy,
  ids: readonly string[],
  tags: readonly Uint16Array[],
): Table {
  const schema = catalogueSchema(taxonomy);
  const rows = ids.length;
  const categoryCount = taxonomy.categories.length;
  const offsets = taxonomy.categories.map(() => new Int32Array(rows + 1));
  const lengths = new Int32Array(categoryCount);
  for (let r = 0; r < rows; r++) {
    const row = tags[r];
    for (let i = 0; i < row.length; i++) lengths[taxonomy.tagCategory[row[i]]]++;
    for (let c = 0; c < categoryCount; c++) offsets[c][r + 1] = lengths[c];
  }
  const values = taxonomy.categories.map((_, c) => new Uint16Array(lengths[c]));
  const filled = new Int32Array(categoryCount);
  for (let r = 0; r < rows; r++) {
    const row = tags[r];
    for (let i = 0; i < row.length; i++) {
      const c = taxonomy.tagCategory[row[i]];
      values[c][filled[c]++] = row[i];
    }
  }
  const children = [
    utf8Data(ids),
    ...values.map((data, c) =>
      makeData({
        type: tagListType(),
        length: rows,
        nullCount: 0,
        valueOffsets: offsets[c],
        child: makeData({ type: new Uint16(), length: data.length, data }),
      }),
    ),
  ];
  const struct = makeData({
    type: new Struct(schema.fields),
    length: rows,
    nullCount: 0,
    children,
  });
  return new Table([new RecordBatch(schema, struct)]);
}
