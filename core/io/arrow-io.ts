// Arrow IPC files for the pipeline's intermediates: written atomically (temp file, fsync,
// rename) from a stream of record batches, read back batch by batch, and described by a
// small manifest (rows, bytes, sha256, schema) that travels in workflow payloads instead of
// the rows themselves.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  AsyncByteQueue,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  type Schema,
  Table,
  tableFromIPC,
  Utf8,
  util,
} from 'apache-arrow';
import type { ArrayBufferViewInput } from 'apache-arrow/util/buffer';

export interface ArrowManifest {
  /** Where the file is, as the caller named it (an artifact-store key or a path). */
  path: string;
  rows: number;
  bytes: number;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  /** `name: type` per column, for humans and sanity checks. */
  schema: string[];
}

export function describeSchema(schema: Schema): string[] {
  return schema.fields.map((f) => `${f.name}: ${f.type}${f.nullable ? '?' : ''}`);
}

/** A temp path beside `path`, unique per process and call, on the same filesystem. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Flushes a finished file to disk before it is renamed into place. */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Collects the writer's output chunks synchronously, so the caller can hash and write them
 * to the file between batches (with backpressure) and own every error path itself.
 */
class ChunkCollector extends AsyncByteQueue {
  chunks: Uint8Array[] = [];

  override write(value: ArrayBufferViewInput): void {
    const bytes = value as Uint8Array;
    if (bytes.byteLength > 0) this.chunks.push(bytes);
  }

  override abort(): void {}

  take(): Uint8Array[] {
    const chunks = this.chunks;
    this.chunks = [];
    return chunks;
  }
}

/**
 * The batch, checked against the file's schema. Arrow's writer would silently start over
 * with a batch's own schema when it differs, so mismatches are refused here. A batch that
 * differs only in fields' nullability (as Arrow's builders make them) is written under the
 * declared schema, unless it holds nulls where that schema allows none.
 */
function conformingBatch(batch: RecordBatch, schema: Schema, path: string): RecordBatch {
  // (compareSchemas is a type guard; a plain boolean keeps `batch.schema` usable below.)
  const same: boolean = util.compareSchemas(schema, batch.schema);
  if (same) return batch;
  const fields = batch.schema.fields;
  const sameShape =
    fields.length === schema.fields.length &&
    schema.fields.every(
      (field, i) => field.name === fields[i].name && String(field.type) === String(fields[i].type),
    );
  if (!sameShape) {
    throw new Error(
      `${path}: a record batch's schema (${describeSchema(batch.schema).join(', ')}) is not the file's schema (${describeSchema(schema).join(', ')})`,
    );
  }
  schema.fields.forEach((field, i) => {
    if (!field.nullable && (batch.getChildAt(i)?.nullCount ?? 0) > 0) {
      throw new Error(
        `${path}: column ${field.name} holds nulls but the file's schema forbids them`,
      );
    }
  });
  return new RecordBatch(schema, batch.data);
}

async function writeFully(file: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/**
 * Writes `batches` to an Arrow IPC file at `path` atomically and returns its manifest.
 * `schema` is required so an empty stream still gives a valid (zero-row) file; every batch
 * must have that schema. `manifestPath` is what the manifest calls the file (default: `path`).
 * Whatever fails (the batch source included), neither the file nor a temp file is left.
 * `sync: false` skips the fsync before the rename, for scratch files whose loss in an OS
 * crash costs only recomputation (a chunk's part files); such files must be checked when read.
 */
export async function writeArrowFile(
  path: string,
  schema: Schema,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  manifestPath = path,
  options: { sync?: boolean } = {},
): Promise<ArrowManifest> {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  const sink = new ChunkCollector();
  const writer = new RecordBatchFileWriter();
  const file = await open(temp, 'w');
  let fileOpen = true;
  // Arrow's writer emits many small pieces (metadata, each buffer, padding): they are hashed
  // one by one but written as one block per batch, since every write is a round trip to
  // libuv's thread pool.
  const flush = async () => {
    const chunks = sink.take();
    if (chunks.length === 0) return;
    for (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
    await writeFully(file, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  };
  try {
    writer.reset(sink, schema);
    for await (const batch of batches) {
      const checked = conformingBatch(batch, schema, manifestPath);
      if (checked.numRows === 0) continue;
      writer.write(checked);
      rows += checked.numRows;
      await flush();
    }
    writer.close();
    await flush();
    if (options.sync !== false) await file.sync();
    fileOpen = false;
    await file.close();
    renameSync(temp, path);
  } catch (err) {
    if (fileOpen) await file.close().catch(() => undefined);
    rmSync(temp, { force: true });
    throw err;
  }
  return {
    path: manifestPath,
    rows,
    bytes,
    sha256: hash.digest('hex'),
    schema: describeSchema(schema),
  };
}

/** Writes a whole table atomically (convenience over writeArrowFile). */
export function writeArrowTable(
  path: string,
  table: Table,
  manifestPath = path,
): Promise<ArrowManifest> {
  return writeArrowFile(path, table.schema, table.batches, manifestPath);
}

/** Reads a whole Arrow IPC file (file or stream format) into a table. */
export async function readArrowTable(path: string): Promise<Table> {
  return tableFromIPC(await readFile(path));
}

/**
 * Iterates an Arrow IPC file's record batches without holding the whole file in memory.
 * Read through a file handle: from a plain byte stream, Arrow reads a file-format (footer)
 * file whole before the first batch.
 */
export async function* readArrowBatches(path: string): AsyncGenerator<RecordBatch> {
  const file = await open(path, 'r');
  try {
    const reader = await RecordBatchReader.from(file);
    for await (const batch of reader) yield batch;
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** sha256 (hex) of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export { Table };

/**
 * A nullable utf8 column from strings, built directly (offsets, bytes, validity bitmap). The
 * strings are encoded in one go (track ids are mostly ASCII: then each string's byte length
 * is its length), not one allocation per row.
 */
export function utf8Data(values: readonly (string | null)[]) {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const validity = new Uint8Array(Math.ceil(n / 8));
  let nullCount = 0;
  const present: string[] = [];
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === null) nullCount++;
    else {
      validity[i >> 3] |= 1 << (i & 7);
      present.push(value);
    }
  }
  const joined = present.join('');
  const bytes = Buffer.from(joined, 'utf8');
  const ascii = bytes.length === joined.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value !== null) total += ascii ? value.length : Buffer.byteLength(value, 'utf8');
    offsets[i + 1] = total;
  }
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount,
    nullBitmap: nullCount > 0 ? validity : null,
    valueOffsets: offsets,
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
  });
}
