// The table formats a tag table may come in, how a path names one, and RawTable: a file's
// columns and raw cells before any tag mapping (what each format's reader returns).
import { extname } from 'node:path';
import { ValidationError } from '../errors.js';

export type TableFormat = 'csv' | 'tsv' | 'json' | 'jsonl' | 'parquet' | 'arrow';
export const TABLE_FORMATS: readonly TableFormat[] = [
  'csv',
  'tsv',
  'json',
  'jsonl',
  'parquet',
  'arrow',
];

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

/** A reader's part of a RawTable; readRawTable adds source, format and hash. */
export type TableBody = Pick<RawTable, 'columns' | 'rows' | 'cells'>;

export function checkUniqueColumns(columns: string[], prefix: string) {
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) throw new ValidationError(`${prefix}: column "${column}" appears twice`);
    seen.add(column);
  }
}
