// Growable Arrow columns of utf8 and list<utf8>, filled straight from UTF-8 bytes: what the
// published-rows encoder (dataset-rows.ts) builds its batches from.
import { Field, List, makeData, Utf8 } from 'apache-arrow';

export const stringList = () => new List(new Field('item', new Utf8(), false));

/** Growable byte buffer with an offsets array: a utf8 column (+ validity when nullable). */
export class Utf8Column {
  offsets: Int32Array;
  bytes: Uint8Array;
  validity: Uint8Array | null;
  end = 0;
  length = 0;
  nulls = 0;

  constructor(capacity: number, bytesPerValue: number, nullable = false) {
    this.offsets = new Int32Array(capacity + 1);
    this.bytes = new Uint8Array(Math.max(64, capacity * bytesPerValue));
    this.validity = nullable ? new Uint8Array(Math.ceil(capacity / 8)) : null;
  }

  /** Makes room for `extra` more bytes and value slots. */
  reserve(extra: number, values = 1) {
    if (this.end + extra > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.end + extra, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.end));
      this.bytes = grown;
    }
    if (this.length + values >= this.offsets.length) {
      const grown = new Int32Array(Math.max(this.length + values + 1, this.offsets.length * 2));
      grown.set(this.offsets);
      this.offsets = grown;
    }
  }

  /** Appends bytes[from, to) as one value. */
  push(source: Uint8Array, from = 0, to = source.length) {
    this.reserve(to - from);
    const bytes = this.bytes;
    let end = this.end;
    // A loop beats TypedArray.set for the few bytes of a tag.
    for (let k = from; k < to; k++) bytes[end++] = source[k];
    this.end = end;
    if (this.validity) this.validity[this.length >> 3] |= 1 << (this.length & 7);
    this.offsets[++this.length] = end;
  }

  pushNull() {
    this.reserve(0);
    this.nulls++;
    this.offsets[++this.length] = this.end;
  }

  data() {
    const n = this.length;
    return makeData({
      type: new Utf8(),
      length: n,
      nullCount: this.nulls,
      nullBitmap: this.nulls > 0 ? this.validity!.subarray(0, Math.ceil(n / 8)) : null,
      valueOffsets: this.offsets.subarray(0, n + 1),
      data: this.bytes.subarray(0, this.end),
    });
  }
}

/** Growable list<utf8> column: list offsets over a utf8 column of items. */
export class StringListColumn {
  offsets: Int32Array;
  items: Utf8Column;
  length = 0;

  constructor(capacity: number, itemsPerRow: number) {
    this.offsets = new Int32Array(capacity + 1);
    this.items = new Utf8Column(capacity * itemsPerRow, 12);
  }

  /** Ends the row whose items were pushed to `items`. */
  endRow() {
    this.offsets[++this.length] = this.items.length;
  }

  data() {
    return makeData({
      type: stringList(),
      length: this.length,
      nullCount: 0,
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      child: this.items.data(),
    });
  }
}
