// Streams generated-row Arrow files batch by batch, in the order the caller gives them, and
// checks what the later stages rely on: the file exists, has the generated-row schema, and
// its rows are in the pipeline's stable order (temperature index, mode, row index), strictly
// increasing across all files. Dedupe keeps "the first" row and split ranks rows by position,
// so an out-of-order or repeated row is a wiring bug worth stopping for.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { type RecordBatch, RecordBatchFileWriter, RecordBatchReader } from 'apache-arrow';
import { ValidationError } from '../errors.js';
import {
  type ArrowManifest,
  describeSchema,
  fsyncFile,
  readArrowBatches,
  tempPathFor,
} from '../io/index.js';
import {
  GENERATED_ROWS_SCHEMA,
  GeneratedRowsView,
  groupIdOf,
  MODE_NAMES,
} from './generated-rows.js';

const EXPECTED_SCHEMA = describeSchema(GENERATED_ROWS_SCHEMA).join(', ');

export interface ScannedBatch {
  /** Position of the file in `inputs`. */
  fileIndex: number;
  path: string;
  batch: RecordBatch;
  view: GeneratedRowsView;
  /** Global position (over all inputs) of the batch's first row. */
  firstRow: number;
  /** Position of the batch's first row within its file. */
  fileRow: number;
}

/** Batches of `path`; a file Arrow cannot parse becomes a ValidationError naming it. */
async function* readOrExplain(path: string): AsyncGenerator<RecordBatch> {
  const batches = readBatches(path);
  for (;;) {
    let next: IteratorResult<RecordBatch>;
    try {
      next = await batches.next();
    } catch (err) {
      throw new ValidationError(
        `generated rows ${path}: not a readable Arrow file (${(err as Error).message})`,
      );
    }
    if (next.done) return;
    yield next.value;
  }
}

/** Sort key of a row in the stable order, as one number (exact up to 2^53). */
export function stableOrderKey(temperatureIndex: number, mode: number, rowIndex: number): number {
  return groupIdOf(temperatureIndex, mode) * 4_294_967_296 + rowIndex;
}

/**
 * Yields every batch of `inputs`, in order. Throws ValidationError on a missing file, a
 * foreign schema, a bad mode value or a row out of the stable order.
 */
export async function* scanGeneratedRows(
  inputs: readonly string[],
  options: { checkOrder?: boolean } = {},
): AsyncGenerator<ScannedBatch> {
  const checkOrder = options.checkOrder ?? true;
  let globalRow = 0;
  let previous = -1;
  // Where the previous row was, kept as parts so the message is only built on failure.
  const prev = { ti: 0, mode: 0, ri: 0, path: '' };
  for (let fileIndex = 0; fileIndex < inputs.length; fileIndex++) {
    const path = inputs[fileIndex];
    if (!existsSync(path)) throw new ValidationError(`generated rows: file not found: ${path}`);
    let fileRow = 0;
    let schemaChecked = false;
    for await (const batch of readOrExplain(path)) {
      if (!schemaChecked) {
        const found = describeSchema(batch.schema).join(', ');
        if (found !== EXPECTED_SCHEMA) {
          throw new ValidationError(
            `generated rows ${path}: unexpected schema; expected [${EXPECTED_SCHEMA}], found [${found}]`,
          );
        }
        schemaChecked = true;
      }
      if (batch.numRows === 0) continue;
      const view = new GeneratedRowsView(batch);
      for (let i = 0; i < view.length; i++) {
        const mode = view.mode[i];
        if (mode >= MODE_NAMES.length) {
          throw new ValidationError(
            `generated rows ${path}: row ${fileRow + i} has mode ${mode}; expected 0 (seeded), 1 (latent) or 2 (coverage)`,
          );
        }
        if (!checkOrder) continue;
        const key = stableOrderKey(view.temperatureIndex[i], mode, view.rowIndex[i]);
        if (key <= previous) {
          throw new ValidationError(
            `generated rows ${path}: row ${fileRow + i} (temperature_index ${view.temperatureIndex[i]}, mode ${mode}, row_index ${view.rowIndex[i]}) ` +
              `does not come after (temperature_index ${prev.ti}, mode ${prev.mode}, row_index ${prev.ri}) in ${prev.path}; inputs must be in (temperature index, mode, row index) order without repeats`,
          );
        }
        previous = key;
        prev.ti = view.temperatureIndex[i];
        prev.mode = mode;
        prev.ri = view.rowIndex[i];
        prev.path = path;
      }
      yield { fileIndex, path, batch, view, firstRow: globalRow, fileRow };
      globalRow += view.length;
      fileRow += view.length;
    }
  }
}

/** Files up to this size are read in one go (much faster than Arrow's streaming reader). */
export const WHOLE_FILE_READ_LIMIT = 256 * 1024 * 1024;

/** The record batches of an Arrow file: read whole when small, streamed when large. */
export async function* readBatches(path: string): AsyncGenerator<RecordBatch> {
  if (statSync(path).size > WHOLE_FILE_READ_LIMIT) {
    yield* readArrowBatches(path);
    return;
  }
  for (const batch of RecordBatchReader.from(readFileSync(path))) yield batch;
}

/**
 * Collects the batches of one generated-row Arrow file and writes it on `finish()`
 * atomically (temp file, fsync, rename). Serialising in memory is several times faster than
 * apache-arrow's stream writer; callers bound the file's size (one input chunk, or a
 * maximum row count).
 */
export class ArrowFileBuffer {
  private readonly batches: RecordBatch[] = [];
  rows = 0;

  constructor(readonly path: string) {}

  push(batch: RecordBatch): void {
    if (batch.numRows === 0) return;
    this.batches.push(batch);
    this.rows += batch.numRows;
  }

  finish(): ArrowManifest {
    const writer = new RecordBatchFileWriter();
    writer.reset(undefined, GENERATED_ROWS_SCHEMA);
    for (const batch of this.batches) writer.write(batch);
    writer.finish();
    const bytes = writer.toUint8Array(true);
    this.batches.length = 0;
    mkdirSync(dirname(this.path), { recursive: true });
    const temp = tempPathFor(this.path);
    try {
      writeFileSync(temp, bytes);
      fsyncFile(temp);
      renameSync(temp, this.path);
    } catch (err) {
      rmSync(temp, { force: true });
      throw err;
    }
    return {
      path: this.path,
      rows: this.rows,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      schema: describeSchema(GENERATED_ROWS_SCHEMA),
    };
  }
}
