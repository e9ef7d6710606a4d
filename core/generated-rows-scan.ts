// Streams generated-row Arrow files batch by batch, in the order the caller gives them, and
// checks what the later stages rely on: the file exists, has the generated-row schema, and
// its rows are in the pipeline's stable order (temperature index, mode, row index), strictly
// increasing across all files. Dedupe keeps "the first" row and split ranks rows by position,
// so an out-of-order or repeated row is a wiring bug worth stopping for.
import { existsSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { describeSchema, readArrowBatches } from './arrow-io.js';
import { ValidationError } from './errors.js';
import { GENERATED_ROWS_SCHEMA, GeneratedRowsView } from './generated-rows.js';

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

/** Sort key of a row in the stable order, as one number (exact up to 2^53). */
export function stableOrderKey(temperatureIndex: number, mode: number, rowIndex: number): number {
  return (temperatureIndex * 2 + mode) * 4_294_967_296 + rowIndex;
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
    let batches: AsyncGenerator<RecordBatch>;
    try {
      batches = readArrowBatches(path);
    } catch (err) {
      throw new ValidationError(`generated rows ${path}: cannot read (${(err as Error).message})`);
    }
    let schemaChecked = false;
    for await (const batch of batches) {
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
        if (mode > 1) {
          throw new ValidationError(
            `generated rows ${path}: row ${fileRow + i} has mode ${mode}; expected 0 (seeded) or 1 (latent)`,
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

/**
 * An async queue of record batches: one producer pushes, one consumer (an Arrow file writer)
 * iterates. Lets one pass over the inputs feed several output files at once.
 */
export class BatchChannel implements AsyncIterable<RecordBatch> {
  private readonly queue: RecordBatch[] = [];
  private closed = false;
  private wake: (() => void) | null = null;

  push(batch: RecordBatch): void {
    this.queue.push(batch);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
  }
}
