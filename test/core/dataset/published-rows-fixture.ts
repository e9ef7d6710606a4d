// Three generated rows (a seeded row, a latent row, an empty one; quotes, commas and non-ASCII
// tags) and their published encoding: shared by the dataset-rows and dataset-csv specs.
import { PublishedRowsEncoder } from '../../../core/dataset/dataset-rows.js';
import { RawGeneratedRows } from '../../../core/dataset/raw-generated-rows.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { type GeneratedRow, GeneratedRowsBuilder, Mode } from '../../../core/rows/index.js';

export const taxonomy = buildTaxonomy({
  tempo: ['slow', 'fast'],
  genre: ['rock', "rock 'n' roll", 'jazz'],
  mood: ['happy', 'sad "ish"', 'ünïcode ✓'],
});

export const rows: GeneratedRow[] = [
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

export function encode(capacity = rows.length) {
  const builder = new GeneratedRowsBuilder(rows.length);
  for (const r of rows) builder.push(r);
  const raw = new RawGeneratedRows(builder.finish());
  const encoder = new PublishedRowsEncoder(taxonomy);
  encoder.reset(capacity);
  for (let i = 0; i < raw.length; i++) encoder.append(raw, i);
  return { raw, encoder, batch: encoder.finish() };
}
