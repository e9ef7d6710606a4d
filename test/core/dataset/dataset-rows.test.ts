import { describe, expect, it } from 'vitest';
import { sizeCategory } from '../../../core/dataset/dataset-card.js';
import {
  csvLine,
  PublishedRowsEncoder,
  pythonListRepr,
  RawGeneratedRows,
} from '../../../core/dataset/dataset-rows.js';
import { surrogateId } from '../../../core/dataset/surrogate-id.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { type GeneratedRow, GeneratedRowsBuilder, Mode } from '../../../core/rows/index.js';
import { runPython } from '../../helpers/python-datasets.js';

const taxonomy = buildTaxonomy({
  tempo: ['slow', 'fast'],
  genre: ['rock', "rock 'n' roll", 'jazz'],
  mood: ['happy', 'sad "ish"', 'ünïcode ✓'],
});

const rows: GeneratedRow[] = [
  {
    mode: Mode.seeded,
    temperatureIndex: 2,
    temperature: 1,
    rowIndex: 5,
    sourceId: 'track_1',
    seedTags: [3, 6],
    generatedTags: [0, 2, 7],
    originalTags: [2, 6],
  },
  {
    mode: Mode.latent,
    temperatureIndex: 2,
    temperature: 1,
    rowIndex: 0,
    sourceId: null,
    seedTags: [],
    generatedTags: [1, 4, 5],
    originalTags: [],
  },
  {
    mode: Mode.seeded,
    temperatureIndex: 3,
    temperature: 0.75,
    rowIndex: 6,
    sourceId: 'tr,"ack"',
    seedTags: [],
    generatedTags: [],
    originalTags: [],
  },
];

function encode(capacity = rows.length) {
  const builder = new GeneratedRowsBuilder(rows.length);
  for (const r of rows) builder.push(r);
  const raw = new RawGeneratedRows(builder.finish());
  const encoder = new PublishedRowsEncoder(taxonomy);
  encoder.reset(capacity);
  for (let i = 0; i < raw.length; i++) encoder.append(raw, i);
  return { raw, encoder, batch: encoder.finish() };
}

describe('published rows', () => {
  it('turn tag ids into the notebook’s string columns, seed tags included per category', () => {
    const { raw, encoder } = encode();
    expect(encoder.row(raw, 0)).toEqual({
      id: surrogateId(rows[0], taxonomy),
      aspect_list: ["rock 'n' roll", 'sad "ish"', 'slow', 'rock', 'ünïcode ✓'],
      original_aspect_list: ['rock', 'sad "ish"'],
      temperature: 1,
      mode: 'seeded',
      source_id: 'track_1',
      tempo_tags: ['slow'],
      genre_tags: ["rock 'n' roll", 'rock'],
      mood_tags: ['sad "ish"', 'ünïcode ✓'],
    });
    expect(encoder.row(raw, 1)).toMatchObject({
      mode: 'latent',
      source_id: null,
      original_aspect_list: [],
    });
  });

  it('build Arrow batches equal to the plain rows, also when batches are small', () => {
    const { raw, encoder, batch } = encode();
    expect(batch.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
      'id: Utf8',
      'aspect_list: List<Utf8>',
      'original_aspect_list: List<Utf8>',
      'temperature: Float64',
      'mode: Utf8',
      'source_id: Utf8',
      'tempo_tags: List<Utf8>',
      'genre_tags: List<Utf8>',
      'mood_tags: List<Utf8>',
    ]);
    for (let i = 0; i < rows.length; i++) {
      const fromBatch = Object.fromEntries(
        batch.schema.fields.map((f) => {
          const value = batch.getChild(f.name)!.get(i);
          return [f.name, value !== null && typeof value === 'object' ? [...value] : value];
        }),
      );
      expect(fromBatch).toEqual(encoder.row(raw, i));
    }
  });

  it('estimate the Arrow bytes of each row exactly as the buffers hold them', () => {
    const { raw, encoder, batch } = encode();
    let estimate = 0;
    for (let i = 0; i < raw.length; i++) estimate += encoder.rowBytes(raw, i);
    let actual = 0;
    const visit = (data: {
      values?: { byteLength: number };
      valueOffsets?: { byteLength: number };
      nullBitmap?: { byteLength: number };
      children: unknown[];
    }) => {
      actual +=
        (data.values?.byteLength ?? 0) +
        (data.valueOffsets?.byteLength ?? 0) +
        (data.nullBitmap?.byteLength ?? 0);
      for (const child of data.children) visit(child as typeof data);
    };
    for (const field of batch.schema.fields) visit(batch.getChild(field.name)!.data[0] as never);
    // Offsets carry one extra entry per array, and validity rounds up to a byte.
    // id, mode, source_id: one offset array each; aspect, original and 3 category lists: two.
    const arrays = 3 + 5 * 2;
    expect(Math.abs(estimate - (actual - 4 * arrays))).toBeLessThan(1);
  });

  it('format CSV cells that Python reads back with ast.literal_eval', () => {
    const { raw, encoder } = encode();
    const lines = rows.map((_, i) => csvLine(encoder.row(raw, i), encoder.columns));
    const parsed = runPython<unknown[]>(
      `
import ast, csv, io, json, sys
out = []
for record in csv.reader(io.StringIO(sys.argv[1])):
    out.append([ast.literal_eval(c) if c.startswith("[") else c for c in record])
print(json.dumps(out))
`,
      [lines.join('')],
    );
    expect(parsed).toEqual(
      rows.map((_, i) => {
        const row = encoder.row(raw, i);
        return encoder.columns.map((c) =>
          row[c] === null
            ? ''
            : typeof row[c] === 'number'
              ? row[c] === 1
                ? '1.0'
                : String(row[c])
              : row[c],
        );
      }),
    );
    expect(pythonListRepr(["it's", 'a "b"', 'back\\slash'])).toBe(
      `["it's", 'a "b"', 'back\\\\slash']`,
    );
  });

  it('put datasets in the Hub’s size categories', () => {
    expect([999, 1000, 16_043, 100_000, 28_000_000].map(sizeCategory)).toEqual([
      'n<1K',
      '1K<n<10K',
      '10K<n<100K',
      '100K<n<1M',
      '10M<n<100M',
    ]);
  });
});
