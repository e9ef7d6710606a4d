// Arrow IPC files for the pipeline's intermediates: written atomically (temp file, fsync,
// rename) from a stream of record batches, read back batch by batch, and described by a
// small manifest (rows, bytes, sha256, schema) that travels in workflow payloads instead of
// the rows themselves.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  type Schema,
  Table,
  tableFromIPC,
} from 'apache-arrow';

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
 * Writes `batches` to an Arrow IPC file at `path` atomically and returns its manifest.
 * `schema` is required so an empty stream still gives a valid (zero-row) file.
 * `manifestPath` is what the manifest calls the file (default: `path`).
 */
export async function writeArrowFile(
  path: string,
  schema: Schema,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  manifestPath = path,
): Promise<ArrowManifest> {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  const writer = new RecordBatchFileWriter();
  writer.reset(undefined, schema);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const written = pipeline(writer.toNodeStream(), tap, createWriteStream(temp));
  try {
    for await (const batch of batches) {
      if (batch.numRows === 0) continue;
      writer.write(batch);
      rows += batch.numRows;
    }
    writer.finish();
    writer.close();
    await written;
    fsyncFile(temp);
    renameSync(temp, path);
  } catch (err) {
    writer.abort(err);
    await written.catch(() => undefined);
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

/** Iterates an Arrow IPC file's record batches without holding the whole file in memory. */
export async function* readArrowBatches(path: string): AsyncGenerator<RecordBatch> {
  const reader = await RecordBatchReader.from(createReadStream(path));
  for await (const batch of reader) yield batch;
}

/** sha256 (hex) of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export { Table };
