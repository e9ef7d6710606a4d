// Generated-row batches read as raw Arrow buffers, the input of the published-rows encoder.
import type { RecordBatch } from 'apache-arrow';

const decoder = new TextDecoder();

type ListName = 'seed_tags' | 'generated_tags' | 'original_tags';

/**
 * Raw buffers of one generated-row batch: typed arrays and offsets, so the hot loops read
 * rows without creating objects, subarrays or strings per row.
 */
export class RawGeneratedRows {
  readonly length: number;
  readonly mode: Uint8Array;
  readonly temperatureIndex: Uint16Array;
  readonly temperature: Float64Array;
  readonly rowIndex: Uint32Array;
  readonly sourceOffsets: Int32Array;
  readonly sourceBytes: Uint8Array;
  /** Validity bitmap of source_id; null when no row is null. */
  readonly sourceValid: Uint8Array | null;
  readonly seedOffsets: Int32Array;
  readonly seed: Uint16Array;
  readonly generatedOffsets: Int32Array;
  readonly generated: Uint16Array;
  readonly originalOffsets: Int32Array;
  readonly original: Uint16Array;

  constructor(batch: RecordBatch) {
    this.length = batch.numRows;
    const data = (name: string) => {
      const vector = batch.getChild(name);
      if (vector?.data.length !== 1)
        throw new Error(`generated rows: column ${name} missing or chunked`);
      const d = vector.data[0];
      if (d.offset !== 0) throw new Error(`generated rows: column ${name} is a slice`);
      return d;
    };
    this.mode = data('mode').values as Uint8Array;
    this.temperatureIndex = data('temperature_index').values as Uint16Array;
    this.temperature = data('temperature').values as Float64Array;
    this.rowIndex = data('row_index').values as Uint32Array;
    const source = data('source_id');
    this.sourceOffsets = source.valueOffsets as Int32Array;
    this.sourceBytes = source.values as Uint8Array;
    this.sourceValid = source.nullCount > 0 ? (source.nullBitmap as Uint8Array) : null;
    const list = (name: ListName): [Int32Array, Uint16Array] => {
      const d = data(name);
      return [d.valueOffsets as Int32Array, d.children[0].values as Uint16Array];
    };
    [this.seedOffsets, this.seed] = list('seed_tags');
    [this.generatedOffsets, this.generated] = list('generated_tags');
    [this.originalOffsets, this.original] = list('original_tags');
  }

  isSourceNull(i: number): boolean {
    return this.sourceValid !== null && (this.sourceValid[i >> 3] & (1 << (i & 7))) === 0;
  }

  sourceId(i: number): string | null {
    if (this.isSourceNull(i)) return null;
    return decoder.decode(
      this.sourceBytes.subarray(this.sourceOffsets[i], this.sourceOffsets[i + 1]),
    );
  }

  tags(name: ListName, i: number): Uint16Array {
    const [offsets, values] =
      name === 'seed_tags'
        ? [this.seedOffsets, this.seed]
        : name === 'generated_tags'
          ? [this.generatedOffsets, this.generated]
          : [this.originalOffsets, this.original];
    return values.subarray(offsets[i], offsets[i + 1]);
  }
}
