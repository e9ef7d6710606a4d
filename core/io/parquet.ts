// Parquet files from Arrow record batches, written by parquet-wasm (the Rust `parquet`
// crate compiled to WebAssembly) as a stream: one batch in wasm memory at a time.
//
// Same batches ⇒ same bytes. The writer stamps no time, `created_by` is fixed to the tool's
// version, and the caller hands batches with deterministic boundaries (the Rust writer cuts
// pages at batch boundaries, so re-chunked input would change the bytes though not the data).
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { type RecordBatch, Table, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';
import { version } from '../version.js';

export interface ParquetWriteOptions {
  /** Rows per row group (default 100,000). */
  rowGroupRows?: number;
  /** ZSTD by default. */
  compression?: 'zstd' | 'snappy' | 'none';
  /**
   * Write the whole file in one call instead of streaming batch by batch: faster, and the
   * same bytes, but the file's Arrow data and its Parquet bytes are held in memory at once.
   */
  inMemory?: boolean;
}

export interface WrittenFile {
  bytes: number;
  sha256: string;
}

export const PARQUET_CREATED_BY = `tagflow ${version} (parquet-wasm 0.8.0)`;

function writerProperties(options: ParquetWriteOptions) {
  const compression = {
    zstd: parquet.Compression.ZSTD,
    snappy: parquet.Compression.SNAPPY,
    none: parquet.Compression.UNCOMPRESSED,
  }[options.compression ?? 'zstd'];
  return new parquet.WriterPropertiesBuilder()
    .setCompression(compression)
    .setCreatedBy(PARQUET_CREATED_BY)
    .setMaxRowGroupSize(options.rowGroupRows ?? 100_000)
    .build();
}

/** A JavaScript Arrow batch copied into wasm memory (via one IPC stream message). */
function toWasmBatch(batch: RecordBatch): parquet.RecordBatch {
  const table = parquet.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
  const wasmBatch = table.recordBatch(0);
  if (!wasmBatch) throw new Error('parquet: empty IPC stream');
  return wasmBatch;
}

/**
 * Writes `batches` (all with the same schema, at least one) as one Parquet file at `path`
 * (created or truncated; the caller makes the swap atomic) and returns its size and sha256.
 */
export async function writeParquetFile(
  path: string,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  options: ParquetWriteOptions = {},
): Promise<WrittenFile> {
  if (options.inMemory) {
    const all: RecordBatch[] = [];
    for await (const batch of batches) all.push(batch);
    if (all.length === 0) throw new Error('parquet: no batches to write');
    const table = parquet.Table.fromIPCStream(tableToIPC(new Table(all), 'stream'));
    const bytes = parquet.writeParquet(table, writerProperties(options));
    const file = await open(path, 'w');
    try {
      await file.write(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  const iterator =
    Symbol.asyncIterator in batches
      ? (batches as AsyncIterable<RecordBatch>)[Symbol.asyncIterator]()
      : (batches as Iterable<RecordBatch>)[Symbol.iterator]();
  const input = new ReadableStream<parquet.RecordBatch>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(toWasmBatch(next.value));
    },
  });
  const output = await parquet.transformParquetStream(input, writerProperties(options));
  const hash = createHash('sha256');
  let bytes = 0;
  const file = await open(path, 'w');
  // The writer emits many small chunks; gather them into larger writes.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    await file.write(Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= 8 * 1024 * 1024) await flush();
    }
    await flush();
    await file.sync();
  } finally {
    await file.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
