// Readers for the text formats: CSV/TSV (csv-parse's sync API) and JSON / JSONL row objects.
import { parse as parseCsv } from 'csv-parse/sync';
import { ValidationError } from '../errors.js';
import { checkUniqueColumns, type TableBody } from './table-format.js';

export function readDelimited(bytes: Buffer, delimiter: string, prefix: string): TableBody {
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

export function readJsonRecords(bytes: Buffer, prefix: string): TableBody {
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

export function readJsonLines(bytes: Buffer, prefix: string): TableBody {
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
