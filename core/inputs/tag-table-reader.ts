// Reading tagged tables (the source catalogue, the reference corpus) from CSV/TSV, JSON,
// JSONL, Parquet and Arrow, and mapping their `<category>_tags` cells to global tag ids.
//
// Everything is read into memory: CSV goes through csv-parse's sync API and Parquet through
// parquet-wasm's whole-file reader, which is fine for catalogues and corpora up to ~100 MB
// (the real ones are under 1 MB). Both callers (catalogue.ts, tag-corpus.ts) share one set of
// rules, so a file that loads as one loads as the other.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { type Table, tableFromIPC, type Vector } from 'apache-arrow';
import { parse as parseCsv } from 'csv-parse/sync';
import { ValidationError } from '../errors.js';
import type { Taxonomy } from './taxonomy.js';

export type TableFormat = 'csv' | 'tsv' | 'json' | 'jsonl' | 'parquet' | 'arrow';
export const TABLE_FORMATS: readonly TableFormat[] = [
  'csv',
  'tsv',
  'json',
  'jsonl',
  'parquet',
  'arrow',
];

export type UnknownTagPolicy = 'error' | 'drop';

/** Tags of one column that are not in the taxonomy's category for that column. */
export interface UnknownTagReport {
  tag: string;
  /** The column as named in the file. */
  column: string;
  /** Number of rows in which the tag occurs in that column. */
  rows: number;
  /** The first (up to 10) of those rows, 1-based data row numbers (the header is not a row). */
  firstRows: number[];
  /** Set when the tag is in the taxonomy, but under another category than the column's. */
  belongsTo?: string;
}

/** A table as read from a file: column names and raw cell values, before any tag mapping. */
export interface RawTable {
  /** The path, as given. */
  source: string;
  format: TableFormat;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  columns: string[];
  rows: number;
  /** Raw cell values of one column (strings, arrays, null, numbers…), one per row. */
  cells(column: string): unknown[];
}

const EXTENSIONS: Record<string, TableFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.arrow': 'arrow',
  '.ipc': 'arrow',
  '.feather': 'arrow',
  '.arrows': 'arrow',
};

/** The format named by a path's extension, or a ValidationError listing the known ones. */
export function formatFromPath(path: string, what: string): TableFormat {
  const format = EXTENSIONS[extname(path).toLowerCase()];
  if (!format) {
    throw new ValidationError(
      `${what} ${path}: cannot tell the format from the extension "${extname(path)}" (known: ${Object.keys(EXTENSIONS).join(', ')}); pass format explicitly`,
    );
  }
  return format;
}

/**
 * Reads a table file. `what` names the input in errors ("catalogue", "tag corpus").
 */
export async function readRawTable(params: {
  path: string;
  what: string;
  format?: TableFormat;
}): Promise<RawTable> {
  const { path, what } = params;
  const format = params.format ?? formatFromPath(path, what);
  if (!TABLE_FORMATS.includes(format)) {
    throw new ValidationError(
      `${what} ${path}: unknown format "${format}" (known: ${TABLE_FORMATS.join(', ')})`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ValidationError(`${what} ${path}: cannot read file (${(err as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const prefix = `${what} ${path}`;
  const base = { source: path, format, sha256 };
  switch (format) {
    case 'csv':
    case 'tsv':
      return { ...base, ...readDelimited(bytes, format === 'csv' ? ',' : '\t', prefix) };
    case 'json':
      return { ...base, ...readJsonRecords(bytes, prefix) };
    case 'jsonl':
      return { ...base, ...readJsonLines(bytes, prefix) };
    case 'parquet':
      return { ...base, ...(await readParquetTable(bytes, prefix)) };
    case 'arrow':
      return { ...base, ...readArrowIpc(bytes, prefix) };
  }
}

type TableBody = Pick<RawTable, 'columns' | 'rows' | 'cells'>;

function checkUniqueColumns(columns: string[], prefix: string) {
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) throw new ValidationError(`${prefix}: column "${column}" appears twice`);
    seen.add(column);
  }
}

function readDelimited(bytes: Buffer, delimiter: string, prefix: string): TableBody {
  let records: string[][];
  try {
    records = parseCsv(bytes, {
      delimiter,
      bom: true,
      relax_quotes: false,
      skip_empty_lines: true,
    });
  } catch (err) {
    throw new ValidationError(
      `${prefix}: not valid ${delimiter === ',' ? 'CSV' : 'TSV'} (${(err as Error).message})`,
    );
  }
  if (records.length === 0)
    throw new ValidationError(`${prefix}: the file is empty (no header row)`);
  const columns = records[0];
  checkUniqueColumns(
    columns.filter((c) => c !== ''),
    prefix,
  );
  const rows = records.length - 1;
  return {
    columns,
    rows,
    cells(column) {
      const at = columns.indexOf(column);
      const out = new Array<unknown>(rows);
      for (let r = 0; r < rows; r++) out[r] = records[r + 1][at];
      return out;
    },
  };
}

function objectRecords(values: unknown[], prefix: string, rowLabel: (i: number) => string) {
  const columns: string[] = [];
  const known = new Set<string>();
  values.forEach((value, i) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ValidationError(
        `${prefix}: ${rowLabel(i)} is not an object (got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value})`,
      );
    }
    for (const key of Object.keys(value)) {
      if (!known.has(key)) {
        known.add(key);
        columns.push(key);
      }
    }
  });
  const records = values as Record<string, unknown>[];
  return {
    columns,
    rows: records.length,
    cells: (column: string) => records.map((record) => record[column] ?? null),
  };
}

function readJsonRecords(bytes: Buffer, prefix: string): TableBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ValidationError(`${prefix}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) {
    throw new ValidationError(
      `${prefix}: expected a JSON array of row objects, got ${parsed === null ? 'null' : typeof parsed}`,
    );
  }
  return objectRecords(parsed, prefix, (i) => `row ${i + 1}`);
}

function readJsonLines(bytes: Buffer, prefix: string): TableBody {
  const values: unknown[] = [];
  const lineOfRow: number[] = [];
  const lines = bytes.toString('utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      values.push(JSON.parse(line));
    } catch (err) {
      throw new ValidationError(
        `${prefix}: line ${i + 1} is not valid JSON (${(err as Error).message})`,
      );
    }
    lineOfRow.push(i + 1);
  });
  return objectRecords(values, prefix, (i) => `row ${i + 1} (line ${lineOfRow[i]})`);
}

async function readParquetTable(bytes: Buffer, prefix: string): Promise<TableBody> {
  // Loaded on first use: the wasm module costs ~100 ms to instantiate.
  const { readParquet } = await import('parquet-wasm/node');
  let ipc: Uint8Array;
  try {
    const wasmTable = readParquet(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    ipc = wasmTable.intoIPCStream();
  } catch (err) {
    throw new ValidationError(`${prefix}: not a readable Parquet file (${errorText(err)})`);
  }
  return arrowBody(tableFromIPC(ipc), prefix);
}

function readArrowIpc(bytes: Buffer, prefix: string): TableBody {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new ValidationError(`${prefix}: not a readable Arrow IPC file (${errorText(err)})`);
  }
  if (table.schema.fields.length === 0) {
    throw new ValidationError(`${prefix}: not a readable Arrow IPC file (no schema)`);
  }
  return arrowBody(table, prefix);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function arrowBody(table: Table, prefix: string): TableBody {
  const columns = table.schema.fields.map((f) => f.name);
  checkUniqueColumns(columns, prefix);
  return {
    columns,
    rows: table.numRows,
    cells(column) {
      const vector = table.getChild(column);
      if (!vector) return new Array(table.numRows).fill(null);
      const out = new Array<unknown>(table.numRows);
      let r = 0;
      for (const value of vector as Vector) out[r++] = fromArrowValue(value);
      return out;
    },
  };
}

/** Arrow list cells come back as Vectors: turn them into plain arrays. */
function fromArrowValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'toArray' in value && 'length' in value) {
    return Array.from(value as unknown as Iterable<unknown>);
  }
  return value;
}

const MAX_CELL_TEXT = 80;

/** A cell's text for an error message, truncated. */
export function cellText(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  if (text.length > MAX_CELL_TEXT) text = `${text.slice(0, MAX_CELL_TEXT)}…`;
  return JSON.stringify(text);
}

/**
 * Parses one list cell into tags. Accepted: a Python list literal (`['a', "b's"]`), a JSON
 * array, a comma-separated string (`a, b`), an empty string, null, or (Arrow, Parquet, JSON)
 * an actual list of strings. Returns an error reason instead of throwing, so the caller can
 * name the file, row and column.
 */
export function parseTagCell(value: unknown): string[] | { error: string } {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) {
    const tags: string[] = [];
    for (const item of value) {
      if (typeof item !== 'string') {
        return { error: `list items must be strings, found ${cellText(item)}` };
      }
      const tag = item.trim();
      if (tag !== '') tags.push(tag);
    }
    return tags;
  }
  if (typeof value !== 'string') {
    const kind = typeof value === 'object' ? 'an object' : `a ${typeof value}`;
    return { error: `expected a list of tags, got ${kind}` };
  }
  const text = value.trim();
  if (text === '') return [];
  if (text.startsWith('[')) return parseListLiteral(text);
  const tags: string[] = [];
  for (const piece of text.split(',')) {
    const tag = piece.trim();
    if (tag !== '') tags.push(tag);
  }
  return tags;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '/': '/',
  '0': '\0',
};

/** A list of string literals, as Python's repr() or JSON writes it. */
function parseListLiteral(text: string): string[] | { error: string } {
  const tags: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  skipSpace();
  if (text[i] === ']') {
    i++;
  } else {
    for (;;) {
      skipSpace();
      const quote = text[i];
      if (quote !== "'" && quote !== '"') {
        return { error: `expected a quoted string at character ${i + 1}` };
      }
      i++;
      let tag = '';
      for (;;) {
        if (i >= text.length) return { error: 'unterminated string' };
        const ch = text[i++];
        if (ch === quote) break;
        if (ch !== '\\') {
          tag += ch;
          continue;
        }
        const escaped = text[i++];
        if (escaped === undefined) return { error: 'unterminated string' };
        if (Object.hasOwn(SIMPLE_ESCAPES, escaped)) {
          tag += SIMPLE_ESCAPES[escaped];
        } else if (escaped === 'x' || escaped === 'u' || escaped === 'U') {
          const width = escaped === 'x' ? 2 : escaped === 'u' ? 4 : 8;
          const hex = text.slice(i, i + width);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) {
            return { error: `bad \\${escaped} escape at character ${i}` };
          }
          const code = Number.parseInt(hex, 16);
          if (code > 0x10ffff) return { error: `bad \\${escaped} escape at character ${i}` };
          tag += String.fromCodePoint(code);
          i += width;
        } else {
          return { error: `unknown escape \\${escaped} at character ${i}` };
        }
      }
      const trimmed = tag.trim();
      if (trimmed !== '') tags.push(trimmed);
      skipSpace();
      if (text[i] === ',') {
        i++;
        skipSpace();
        if (text[i] === ']') {
          i++;
          break;
        }
        continue;
      }
      if (text[i] === ']') {
        i++;
        break;
      }
      return { error: `expected "," or "]" at character ${i + 1}` };
    }
  }
  skipSpace();
  if (i !== text.length) return { error: `unexpected text after the list at character ${i + 1}` };
  return tags;
}

/** Per-row tag ids (grouped by category, deduplicated), per-category counts, unknown tags. */
export interface MappedTags {
  /** Taxonomy categories, in order. */
  categories: string[];
  /** The column read for each category, or null when the file has none. */
  columns: (string | null)[];
  tags: Uint16Array[];
  /** rows × categories, row-major. */
  counts: Uint8Array;
  unknown: UnknownTagReport[];
  missingCategories: string[];
}

const MAX_REPORTED_ROWS = 10;

/**
 * Resolves each category's column: `tagColumns[category]` when given (must exist), else
 * `<category>_tags` (absent: the category is missing, treated as empty). At least one
 * category must have a column.
 */
export function resolveTagColumns(params: {
  table: RawTable;
  what: string;
  taxonomy: Taxonomy;
  tagColumns?: Record<string, string>;
}): { columns: (string | null)[]; missingCategories: string[] } {
  const { table, what, taxonomy, tagColumns = {} } = params;
  const prefix = `${what} ${table.source}`;
  for (const category of Object.keys(tagColumns)) {
    if (!taxonomy.categories.includes(category)) {
      throw new ValidationError(
        `${prefix}: tagColumns names category "${category}", which is not in the taxonomy (${taxonomy.categories.join(', ')})`,
      );
    }
  }
  const present = new Set(table.columns);
  const missingCategories: string[] = [];
  const columns = taxonomy.categories.map((category) => {
    const configured = tagColumns[category];
    if (configured !== undefined) {
      if (!present.has(configured)) {
        throw new ValidationError(
          `${prefix}: no "${configured}" column for category "${category}" (columns: ${table.columns.join(', ')})`,
        );
      }
      return configured;
    }
    const column = `${category}_tags`;
    if (present.has(column)) return column;
    missingCategories.push(category);
    return null;
  });
  if (columns.every((c) => c === null)) {
    throw new ValidationError(
      `${prefix}: no tag columns (expected at least one of ${taxonomy.categories.map((c) => `${c}_tags`).join(', ')}; columns: ${table.columns.join(', ')})`,
    );
  }
  return { columns, missingCategories };
}

/**
 * Maps every tag cell to global tag ids. A tag is unknown in a column when it is not in
 * that column's category (misfiled tags of other categories included, with `belongsTo`).
 * Under `error` any unknown tag throws one message listing them; under `drop` they are
 * left out and reported.
 */
export function mapTagColumns(params: {
  table: RawTable;
  what: string;
  taxonomy: Taxonomy;
  tagColumns?: Record<string, string>;
  unknownTags?: UnknownTagPolicy;
}): MappedTags {
  const { table, what, taxonomy } = params;
  const policy = params.unknownTags ?? 'error';
  if (policy !== 'error' && policy !== 'drop') {
    throw new ValidationError(
      `unknownTags must be "error" or "drop", got ${JSON.stringify(policy)}`,
    );
  }
  const prefix = `${what} ${table.source}`;
  const { columns, missingCategories } = resolveTagColumns(params);
  const categoryCount = taxonomy.categories.length;
  const rows = table.rows;
  const counts = new Uint8Array(rows * categoryCount);
  const perCategory: string[][][] = columns.map((column, c) => {
    if (column === null) return [];
    return table.cells(column).map((cell, r) => {
      const parsed = parseTagCell(cell);
      if (!Array.isArray(parsed)) {
        throw new ValidationError(
          `${prefix}: row ${r + 1}, column ${column}: cannot read the cell as a list of ${taxonomy.categories[c]} tags (${parsed.error}): ${cellText(cell)}`,
        );
      }
      return parsed;
    });
  });

  const unknown = new Map<string, UnknownTagReport & { lastRow: number }>();
  const unknownRows = new Set<number>();
  // Per-tag stamp of the last row that took it: dedup within a row without a Set per row.
  const seenInRow = new Int32Array(taxonomy.size).fill(-1);
  const rowTags = new Uint16Array(taxonomy.size);
  const tags: Uint16Array[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    let length = 0;
    for (let c = 0; c < categoryCount; c++) {
      const column = columns[c];
      if (column === null) continue;
      const start = length;
      for (const tag of perCategory[c][r]) {
        const id = taxonomy.index.get(tag);
        if (id === undefined || taxonomy.tagCategory[id] !== c) {
          const key = `${column}\u0000${tag}`;
          let report = unknown.get(key);
          if (!report) {
            report = { tag, column, rows: 0, firstRows: [], lastRow: -1 };
            if (id !== undefined) report.belongsTo = taxonomy.categories[taxonomy.tagCategory[id]];
            unknown.set(key, report);
          }
          if (report.lastRow !== r) {
            report.lastRow = r;
            report.rows++;
            if (report.firstRows.length < MAX_REPORTED_ROWS) report.firstRows.push(r + 1);
          }
          unknownRows.add(r);
          continue;
        }
        if (seenInRow[id] === r) continue;
        seenInRow[id] = r;
        rowTags[length++] = id;
      }
      const count = length - start;
      if (count > 255) {
        throw new ValidationError(
          `${prefix}: row ${r + 1}, column ${column}: ${count} distinct tags; at most 255 per category are supported`,
        );
      }
      counts[r * categoryCount + c] = count;
    }
    tags[r] = rowTags.slice(0, length);
  }

  const reports: UnknownTagReport[] = [...unknown.values()].map(
    ({ lastRow: _, ...report }) => report,
  );
  if (reports.length > 0 && policy === 'error') {
    throw new ValidationError(unknownTagMessage(prefix, reports, unknownRows.size));
  }
  return {
    categories: [...taxonomy.categories],
    columns,
    tags,
    counts,
    unknown: reports,
    missingCategories,
  };
}

const MAX_LISTED_TAGS = 10;
const MAX_LISTED_ROWS = 5;

function unknownTagMessage(prefix: string, reports: UnknownTagReport[], rowCount: number): string {
  const listed = reports.slice(0, MAX_LISTED_TAGS).map((report) => {
    const rows = report.firstRows.slice(0, MAX_LISTED_ROWS).join(', ');
    const more = report.rows > MAX_LISTED_ROWS ? ` and ${report.rows - MAX_LISTED_ROWS} more` : '';
    const misfiled = report.belongsTo ? ` (a ${report.belongsTo} tag)` : '';
    return `${JSON.stringify(report.tag)}${misfiled} in ${report.column} at row${report.rows > 1 ? 's' : ''} ${rows}${more}`;
  });
  if (reports.length > MAX_LISTED_TAGS)
    listed.push(`and ${reports.length - MAX_LISTED_TAGS} more tags`);
  const tagWord = reports.length === 1 ? 'tag' : 'tags';
  const rowWord = rowCount === 1 ? 'row' : 'rows';
  return `${prefix}: ${reports.length} unknown ${tagWord} in ${rowCount} ${rowWord} (policy "error"): ${listed.join('; ')} — fix the tags or rerun with unknownTags "drop"`;
}
