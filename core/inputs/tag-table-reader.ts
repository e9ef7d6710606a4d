// Reads a tag table file (CSV/TSV, JSON, JSONL, Parquet, Arrow) into a RawTable, hashing its bytes.
// All in memory: fine up to ~100 MB; the real catalogues and corpora are under 1 MB.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors.js';
import { readArrowIpc, readParquetTable } from './arrow-tables.js';
import { formatFromPath, type RawTable, TABLE_FORMATS, type TableFormat } from './table-format.js';
import { readDelimited, readJsonLines, readJsonRecords } from './text-tables.js';

/** Reads a table file. `what` names the input in errors ("catalogue", "tag corpus"). */
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
