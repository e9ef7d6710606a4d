// Readers for the columnar formats: Parquet (via parquet-wasm, to Arrow IPC) and Arrow IPC, with
// list cells turned into plain arrays.
import { type Table, tableFromIPC, type Vector } from 'apache-arrow';
import { ValidationError } from '../errors.js';
import { checkUniqueColumns, type TableBody } from './table-format.js';

export async function readParquetTable(bytes: Buffer, prefix: string): Promise<TableBody> {
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

export function readArrowIpc(bytes: Buffer, prefix: string): TableBody {
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
