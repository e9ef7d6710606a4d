// Generated rows (tag ids) → published rows (strings), the notebook's columns:
//
//   id                    utf8            surrogate id (core/dataset/surrogate-id.ts)
//   aspect_list           list<utf8>      seed tags, then generated tags
//   original_aspect_list  list<utf8>      the catalogue track's tags; [] for latent rows
//   temperature           float64
//   mode                  utf8            "seeded" | "latent" | "coverage"
//   source_id             utf8, nullable  the catalogue track's id; null for latent rows
//   <category>_tags       list<utf8>      per taxonomy category, seed tags included, in
//                                         aspect_list order
//
// Batches are built straight into Arrow buffers (utf8-columns.ts) from precomputed UTF-8 tag
// bytes; going through row objects and Arrow's generic builders is several times slower.
import { hash } from 'node:crypto';
import { Field, Float64, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
import { MODE_NAMES, type ModeName } from '../rows/index.js';
import type { RawGeneratedRows } from './raw-generated-rows.js';
import { pythonFloatText, SURROGATE_ID_VERSION, surrogateIdOf } from './surrogate-id.js';
import { StringListColumn, stringList, Utf8Column } from './utf8-columns.js';

export const FIXED_COLUMNS = [
  'id',
  'aspect_list',
  'original_aspect_list',
  'temperature',
  'mode',
  'source_id',
] as const;

/** `<category>_tags` for each category, in taxonomy order. */
export function categoryColumns(taxonomy: Taxonomy): string[] {
  const names = taxonomy.categories.map((c) => `${c}_tags`);
  for (const name of names) {
    if ((FIXED_COLUMNS as readonly string[]).includes(name)) {
      throw new ValidationError(
        `taxonomy category gives column "${name}", which is a fixed column`,
      );
    }
  }
  return names;
}

export function publishedSchema(taxonomy: Taxonomy): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    new Field('aspect_list', stringList(), false),
    new Field('original_aspect_list', stringList(), false),
    new Field('temperature', new Float64(), false),
    new Field('mode', new Utf8(), false),
    new Field('source_id', new Utf8(), true),
    ...categoryColumns(taxonomy).map((name) => new Field(name, stringList(), false)),
  ]);
}

/** One published row as plain values (tests, CSV, the card's example). */
export interface PublishedRow {
  id: string;
  aspect_list: string[];
  original_aspect_list: string[];
  temperature: number;
  mode: ModeName;
  source_id: string | null;
  [categoryTags: string]: string[] | string | number | null;
}

const encoder = new TextEncoder();
const HEX = encoder.encode('0123456789abcdef');
const PIPE = 0x7c;

/**
 * Turns generated rows into published rows for one taxonomy: `reset(n)`, `append` up to n
 * rows (from any input batches), `finish()` a RecordBatch.
 */
export class PublishedRowsEncoder {
  readonly schema: Schema;
  readonly columns: string[];
  private readonly taxonomy: Taxonomy;
  private readonly tagBytes: Uint8Array[];
  private readonly tagByteLength: Int32Array;
  /** Each tag as a UTF-8 JSON string literal (for the surrogate id's original-tags JSON). */
  private readonly tagJson: Uint8Array[];
  private readonly modeBytes = MODE_NAMES.map((m) => encoder.encode(m));
  /** `tagflow-id-v1|<mode>|` per mode. */
  private readonly idPrefix = MODE_NAMES.map((m) =>
    encoder.encode(`${SURROGATE_ID_VERSION}|${m}|`),
  );
  private readonly temperatureText = new Map<number, Uint8Array>();
  private readonly categoryCount: number;
  private idText = new Uint8Array(4096);
  private capacity = 0;
  private id!: Utf8Column;
  private aspect!: StringListColumn;
  private original!: StringListColumn;
  private temperature!: Float64Array;
  private mode!: Utf8Column;
  private source!: Utf8Column;
  private categories!: StringListColumn[];
  length = 0;

  constructor(taxonomy: Taxonomy) {
    this.taxonomy = taxonomy;
    this.schema = publishedSchema(taxonomy);
    this.columns = this.schema.fields.map((f) => f.name);
    this.tagBytes = taxonomy.tags.map((t) => encoder.encode(t));
    this.tagByteLength = Int32Array.from(this.tagBytes, (b) => b.length);
    this.tagJson = taxonomy.tags.map((t) => encoder.encode(JSON.stringify(t)));
    this.categoryCount = taxonomy.categories.length;
  }

  /** Rows the current batch takes (set by reset). */
  get batchCapacity(): number {
    return this.capacity;
  }

  /** Starts a new batch of at most `capacity` rows. */
  reset(capacity: number): void {
    this.capacity = capacity;
    this.length = 0;
    this.id = new Utf8Column(capacity, 32);
    this.aspect = new StringListColumn(capacity, 8);
    this.original = new StringListColumn(capacity, 6);
    this.temperature = new Float64Array(capacity);
    this.mode = new Utf8Column(capacity, 6);
    this.source = new Utf8Column(capacity, 16, true);
    this.categories = Array.from(
      { length: this.categoryCount },
      () => new StringListColumn(capacity, 2),
    );
  }

  private temperatureBytes(t: number): Uint8Array {
    let bytes = this.temperatureText.get(t);
    if (!bytes) {
      bytes = encoder.encode(pythonFloatText(t));
      this.temperatureText.set(t, bytes);
    }
    return bytes;
  }

  /**
   * The surrogate id's text (core/dataset/surrogate-id.ts) assembled as UTF-8 in a reused buffer,
   * MD5'd, and written as hex into the id column: no strings per row.
   */
  private appendId(rows: RawGeneratedRows, i: number): void {
    const sourceFrom = rows.sourceOffsets[i];
    const sourceTo = rows.isSourceNull(i) ? sourceFrom : rows.sourceOffsets[i + 1];
    const originalFrom = rows.originalOffsets[i];
    const originalTo = rows.originalOffsets[i + 1];
    let need = 64 + (sourceTo - sourceFrom);
    for (let k = originalFrom; k < originalTo; k++)
      need += this.tagJson[rows.original[k]].length + 1;
    if (need > this.idText.length) this.idText = new Uint8Array(need * 2);
    const text = this.idText;
    let at = copyBytes(text, 0, this.idPrefix[rows.mode[i]]);
    at = writeDecimal(text, at, rows.temperatureIndex[i]);
    text[at++] = PIPE;
    at = writeDecimal(text, at, rows.rowIndex[i]);
    text[at++] = PIPE;
    at = copyBytes(text, at, rows.sourceBytes, sourceFrom, sourceTo);
    text[at++] = PIPE;
    text[at++] = 0x5b; // [
    for (let k = originalFrom; k < originalTo; k++) {
      if (k > originalFrom) text[at++] = 0x2c; // ,
      at = copyBytes(text, at, this.tagJson[rows.original[k]]);
    }
    text[at++] = 0x5d; // ]
    text[at++] = PIPE;
    at = copyBytes(text, at, this.temperatureBytes(rows.temperature[i]));
    const digest = hash('md5', text.subarray(0, at), 'buffer') as unknown as Uint8Array;
    const column = this.id;
    column.reserve(32);
    let end = column.end;
    for (let k = 0; k < 16; k++) {
      column.bytes[end++] = HEX[digest[k] >> 4];
      column.bytes[end++] = HEX[digest[k] & 15];
    }
    column.end = end;
    column.offsets[++column.length] = end;
  }

  /** Appends row `i` of `rows`. */
  append(rows: RawGeneratedRows, i: number): void {
    if (this.length >= this.capacity) throw new RangeError('PublishedRowsEncoder: batch is full');
    this.appendId(rows, i);
    // aspect_list and the category lists in one walk: seed tags, then generated tags.
    const tags = this.tagBytes;
    const tagCategory = this.taxonomy.tagCategory;
    const categories = this.categories;
    const aspect = this.aspect.items;
    for (let pass = 0; pass < 2; pass++) {
      const values = pass === 0 ? rows.seed : rows.generated;
      const offsets = pass === 0 ? rows.seedOffsets : rows.generatedOffsets;
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        const bytes = tags[values[k]];
        aspect.push(bytes);
        categories[tagCategory[values[k]]].items.push(bytes);
      }
    }
    this.aspect.endRow();
    for (let c = 0; c < categories.length; c++) categories[c].endRow();
    const original = this.original.items;
    for (let k = rows.originalOffsets[i]; k < rows.originalOffsets[i + 1]; k++) {
      original.push(tags[rows.original[k]]);
    }
    this.original.endRow();
    this.temperature[this.length] = rows.temperature[i];
    this.mode.push(this.modeBytes[rows.mode[i]]);
    if (rows.isSourceNull(i)) this.source.pushNull();
    else this.source.push(rows.sourceBytes, rows.sourceOffsets[i], rows.sourceOffsets[i + 1]);
    this.length++;
  }

  finish(): RecordBatch {
    const n = this.length;
    const children = [
      this.id.data(),
      this.aspect.data(),
      this.original.data(),
      makeData({ type: new Float64(), length: n, data: this.temperature.subarray(0, n) }),
      this.mode.data(),
      this.source.data(),
      ...this.categories.map((c) => c.data()),
    ];
    const struct = makeData({
      type: new Struct(this.schema.fields),
      length: n,
      nullCount: 0,
      children,
    });
    return new RecordBatch(this.schema, struct);
  }

  /**
   * The bytes row `i` adds to an in-memory Arrow table of published rows (values, offsets,
   * validity), which is what `datasets` reports as a split's num_bytes and what shards are
   * sized by.
   */
  rowBytes(rows: RawGeneratedRows, i: number): number {
    const len = this.tagByteLength;
    let aspectItems = 0;
    for (let k = rows.seedOffsets[i]; k < rows.seedOffsets[i + 1]; k++)
      aspectItems += 4 + len[rows.seed[k]];
    for (let k = rows.generatedOffsets[i]; k < rows.generatedOffsets[i + 1]; k++) {
      aspectItems += 4 + len[rows.generated[k]];
    }
    let originalItems = 0;
    for (let k = rows.originalOffsets[i]; k < rows.originalOffsets[i + 1]; k++) {
      originalItems += 4 + len[rows.original[k]];
    }
    const source = rows.isSourceNull(i) ? 0 : rows.sourceOffsets[i + 1] - rows.sourceOffsets[i];
    return (
      36 + // id: 32 hex characters + offset
      4 +
      aspectItems + // aspect_list
      4 * this.categoryCount +
      aspectItems + // the category lists hold the same items
      4 +
      originalItems +
      8 + // temperature
      4 +
      this.modeBytes[rows.mode[i]].length +
      4 +
      source +
      0.125 // source_id and its validity bit
    );
  }

  /** Row `i` of `rows` as plain values. */
  row(rows: RawGeneratedRows, i: number): PublishedRow {
    const names = this.taxonomy.tags;
    const aspect = [...rows.tags('seed_tags', i), ...rows.tags('generated_tags', i)];
    const original = Array.from(rows.tags('original_tags', i), (id) => names[id]);
    const mode = MODE_NAMES[rows.mode[i]];
    const row: PublishedRow = {
      id: surrogateIdOf({
        mode,
        temperatureIndex: rows.temperatureIndex[i],
        rowIndex: rows.rowIndex[i],
        sourceId: rows.sourceId(i),
        originalAspectList: original,
        temperature: rows.temperature[i],
      }),
      aspect_list: aspect.map((id) => names[id]),
      original_aspect_list: original,
      temperature: rows.temperature[i],
      mode,
      source_id: rows.sourceId(i),
    };
    this.taxonomy.categories.forEach((category, c) => {
      row[`${category}_tags`] = aspect
        .filter((id) => this.taxonomy.tagCategory[id] === c)
        .map((id) => names[id]);
    });
    return row;
  }
}

/** Copies bytes[from, to) to `out` at `at`; returns the new end. */
function copyBytes(out: Uint8Array, at: number, bytes: Uint8Array, from = 0, to = bytes.length) {
  for (let k = from; k < to; k++) out[at++] = bytes[k];
  return at;
}

/** Writes a non-negative integer's decimal digits at `at`; returns the new end. */
function writeDecimal(out: Uint8Array, at: number, value: number): number {
  if (value === 0) {
    out[at] = 0x30;
    return at + 1;
  }
  let digits = 0;
  for (let v = value; v > 0; v = Math.floor(v / 10)) digits++;
  for (let k = digits - 1, v = value; k >= 0; k--, v = Math.floor(v / 10))
    out[at + k] = 0x30 + (v % 10);
  return at + digits;
}
