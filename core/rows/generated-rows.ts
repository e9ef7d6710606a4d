// The generated-row intermediate (stages 3–4 write it; dedupe, split, evaluate and publish
// read it): one Arrow record per generated tag set, tags as global tag ids (uint16).
//
//   mode               uint8     0 = seeded (from a catalogue track), 1 = latent (z ~ N(0, I)),
//                                2 = coverage (a top-up row conditioned on a rare tag)
//   temperature_index  uint16    position in the run's temperature list
//   temperature        float64
//   row_index          uint32    seeded: the catalogue row; latent: the row within its temperature;
//                                coverage: the row's place among the run's top-up rows
//   source_id          utf8?     the catalogue track's id; null for latent rows
//   seed_tags          list<uint16>  seed tags drawn from the track (seeded); the tag a coverage
//                                    row was conditioned on (coverage); none (latent)
//   generated_tags     list<uint16>  tags chosen from the decoded probabilities, grouped by
//                                    category in taxonomy order, best first within a category
//   original_tags      list<uint16>  the track's own tags (seeded only)
//
// A row's category lists are recovered with the taxonomy (`tagsByCategory`). Rows are built
// straight into typed arrays, which is several times faster than Arrow's generic builders on
// the generation hot path.
import {
  Field,
  Float64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Uint8,
  Uint16,
  Uint32,
  Utf8,
  type Vector,
} from 'apache-arrow';
import type { Taxonomy } from '../inputs/index.js';
import { utf8Data } from '../io/index.js';

export const Mode = { seeded: 0, latent: 1, coverage: 2 } as const;
export type ModeName = keyof typeof Mode;
export const MODE_NAMES: readonly ModeName[] = ['seeded', 'latent', 'coverage'];

/** The largest temperature index (the column is uint16). */
const MAX_TEMPERATURE_INDEX = 0xffff;

/**
 * A row's group, (temperature index, mode), as one number in the stable order: seeded and
 * latent rows of a temperature interleave as they always did (2t + mode, which keys their
 * split draws, so it must not move), and coverage rows, added after dedupe, come after all
 * of them.
 */
export function groupIdOf(temperatureIndex: number, mode: number): number {
  return mode === Mode.coverage
    ? 2 * (MAX_TEMPERATURE_INDEX + 1) + temperatureIndex
    : temperatureIndex * 2 + mode;
}

const tagList = () => new List(new Field('item', new Uint16(), false));

export const GENERATED_ROWS_SCHEMA = new Schema([
  new Field('mode', new Uint8(), false),
  new Field('temperature_index', new Uint16(), false),
  new Field('temperature', new Float64(), false),
  new Field('row_index', new Uint32(), false),
  new Field('source_id', new Utf8(), true),
  new Field('seed_tags', tagList(), false),
  new Field('generated_tags', tagList(), false),
  new Field('original_tags', tagList(), false),
]);

export interface GeneratedRow {
  mode: number;
  temperatureIndex: number;
  temperature: number;
  rowIndex: number;
  sourceId: string | null;
  seedTags: ArrayLike<number>;
  generatedTags: ArrayLike<number>;
  originalTags: ArrayLike<number>;
}

/** A growable list<uint16> column: offsets plus values. */
class TagListColumn {
  offsets: Int32Array;
  values: Uint16Array;
  length = 0;

  constructor(rows: number, valuesPerRow: number) {
    this.offsets = new Int32Array(rows + 1);
    this.values = new Uint16Array(Math.max(16, rows * valuesPerRow));
  }

  push(tags: ArrayLike<number>, count = tags.length, from = 0) {
    const start = this.offsets[this.length];
    if (start + count > this.values.length) {
      const grown = new Uint16Array(Math.max(this.values.length * 2, start + count));
      grown.set(this.values.subarray(0, start));
      this.values = grown;
    }
    for (let i = 0; i < count; i++) this.values[start + i] = tags[from + i];
    this.length++;
    this.offsets[this.length] = start + count;
  }

  data() {
    const valueCount = this.offsets[this.length];
    const child = makeData({
      type: new Uint16(),
      length: valueCount,
      data: this.values.subarray(0, valueCount),
    });
    return makeData({
      type: tagList(),
      length: this.length,
      nullCount: 0,
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      child,
    });
  }
}

/**
 * Accumulates up to `capacity` rows and turns them into one RecordBatch. Use one builder per
 * batch; `finish()` hands the arrays to Arrow without copying.
 */
export class GeneratedRowsBuilder {
  readonly capacity: number;
  length = 0;
  private readonly mode: Uint8Array;
  private readonly temperatureIndex: Uint16Array;
  private readonly temperature: Float64Array;
  private readonly rowIndex: Uint32Array;
  private readonly sourceIds: (string | null)[] = [];
  private readonly seedTags: TagListColumn;
  private readonly generatedTags: TagListColumn;
  private readonly originalTags: TagListColumn;

  constructor(capacity: number, expectedTagsPerRow = 8) {
    this.capacity = capacity;
    this.mode = new Uint8Array(capacity);
    this.temperatureIndex = new Uint16Array(capacity);
    this.temperature = new Float64Array(capacity);
    this.rowIndex = new Uint32Array(capacity);
    this.seedTags = new TagListColumn(capacity, 3);
    this.generatedTags = new TagListColumn(capacity, expectedTagsPerRow);
    this.originalTags = new TagListColumn(capacity, expectedTagsPerRow);
  }

  /** Appends one row; its generated tags are generatedTags[generatedFrom …], generatedCount of them. */
  push(row: GeneratedRow, generatedCount = row.generatedTags.length, generatedFrom = 0): void {
    if (this.length >= this.capacity)
      throw new RangeError(`GeneratedRowsBuilder is full (${this.capacity} rows)`);
    const i = this.length++;
    this.mode[i] = row.mode;
    this.temperatureIndex[i] = row.temperatureIndex;
    this.temperature[i] = row.temperature;
    this.rowIndex[i] = row.rowIndex;
    this.sourceIds.push(row.sourceId);
    this.seedTags.push(row.seedTags);
    this.generatedTags.push(row.generatedTags, generatedCount, generatedFrom);
    this.originalTags.push(row.originalTags);
  }

  finish(): RecordBatch {
    const n = this.length;
    const children = [
      makeData({ type: new Uint8(), length: n, data: this.mode.subarray(0, n) }),
      makeData({ type: new Uint16(), length: n, data: this.temperatureIndex.subarray(0, n) }),
      makeData({ type: new Float64(), length: n, data: this.temperature.subarray(0, n) }),
      makeData({ type: new Uint32(), length: n, data: this.rowIndex.subarray(0, n) }),
      utf8Data(this.sourceIds),
      this.seedTags.data(),
      this.generatedTags.data(),
      this.originalTags.data(),
    ];
    const struct = makeData({
      type: new Struct(GENERATED_ROWS_SCHEMA.fields),
      length: n,
      nullCount: 0,
      children,
    });
    return new RecordBatch(GENERATED_ROWS_SCHEMA, struct);
  }
}

/** Read access to one record batch of generated rows, without materialising row objects. */
export class GeneratedRowsView {
  readonly length: number;
  readonly mode: Uint8Array;
  readonly temperatureIndex: Uint16Array;
  readonly temperature: Float64Array;
  readonly rowIndex: Uint32Array;
  private readonly sourceIdVector: Vector<Utf8>;
  private readonly lists: Record<
    'seed_tags' | 'generated_tags' | 'original_tags',
    { offsets: Int32Array; values: Uint16Array }
  >;

  constructor(batch: RecordBatch) {
    this.length = batch.numRows;
    const column = (name: string) => {
      const vector = batch.getChild(name);
      if (!vector) throw new Error(`generated rows: missing column ${name}`);
      return vector;
    };
    const flat = <T>(name: string) => {
      const data = column(name).data;
      if (data.length !== 1) throw new Error(`generated rows: column ${name} is chunked`);
      return data[0].values as T;
    };
    this.mode = flat<Uint8Array>('mode');
    this.temperatureIndex = flat<Uint16Array>('temperature_index');
    this.temperature = flat<Float64Array>('temperature');
    this.rowIndex = flat<Uint32Array>('row_index');
    this.sourceIdVector = column('source_id') as Vector<Utf8>;
    const list = (name: 'seed_tags' | 'generated_tags' | 'original_tags') => {
      const data = column(name).data[0];
      return {
        offsets: data.valueOffsets as Int32Array,
        values: data.children[0].values as Uint16Array,
      };
    };
    this.lists = {
      seed_tags: list('seed_tags'),
      generated_tags: list('generated_tags'),
      original_tags: list('original_tags'),
    };
  }

  sourceId(i: number): string | null {
    return this.sourceIdVector.get(i);
  }

  /** The tags of row `i` in one list column (a view, not a copy). */
  tags(name: 'seed_tags' | 'generated_tags' | 'original_tags', i: number): Uint16Array {
    const { offsets, values } = this.lists[name];
    return values.subarray(offsets[i], offsets[i + 1]);
  }

  row(i: number): GeneratedRow {
    return {
      mode: this.mode[i],
      temperatureIndex: this.temperatureIndex[i],
      temperature: this.temperature[i],
      rowIndex: this.rowIndex[i],
      sourceId: this.sourceId(i),
      seedTags: Array.from(this.tags('seed_tags', i)),
      generatedTags: Array.from(this.tags('generated_tags', i)),
      originalTags: Array.from(this.tags('original_tags', i)),
    };
  }
}

/** Splits tag ids into per-category lists (in taxonomy category order), keeping their order. */
export function tagsByCategory(taxonomy: Taxonomy, tags: ArrayLike<number>): number[][] {
  const out: number[][] = taxonomy.categories.map(() => []);
  for (let i = 0; i < tags.length; i++) out[taxonomy.tagCategory[tags[i]]].push(tags[i]);
  return out;
}
