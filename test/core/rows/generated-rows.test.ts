import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { readArrowBatches, readArrowTable, writeArrowFile } from '../../../core/io/index.js';
import {
  GENERATED_ROWS_SCHEMA,
  type GeneratedRow,
  GeneratedRowsBuilder,
  GeneratedRowsView,
  Mode,
  tagsByCategory,
} from '../../../core/rows/generated-rows.js';

const rows: GeneratedRow[] = [
  {
    mode: Mode.seeded,
    temperatureIndex: 0,
    temperature: 0.75,
    rowIndex: 7,
    sourceId: 'track_0001',
    seedTags: [4],
    generatedTags: [0, 3, 5],
    originalTags: [3, 4],
  },
  {
    mode: Mode.latent,
    temperatureIndex: 2,
    temperature: 1.5,
    rowIndex: 0,
    sourceId: null,
    seedTags: [],
    generatedTags: [1, 2, 3, 5, 6],
    originalTags: [],
  },
  {
    mode: Mode.seeded,
    temperatureIndex: 0,
    temperature: 0.75,
    rowIndex: 8,
    sourceId: 'träck ✓',
    seedTags: [],
    generatedTags: [],
    originalTags: [],
  },
];

describe('generated rows', () => {
  it('round-trips rows through an Arrow file, nulls, unicode and empty lists included', async () => {
    const builder = new GeneratedRowsBuilder(4, 1);
    for (const row of rows) builder.push(row);
    const path = join(mkdtempSync(join(tmpdir(), 'tagflow-rows-')), 'rows.arrow');
    const manifest = await writeArrowFile(path, GENERATED_ROWS_SCHEMA, [builder.finish()]);
    expect(manifest.rows).toBe(3);
    const batches = [];
    for await (const batch of readArrowBatches(path)) batches.push(batch);
    const view = new GeneratedRowsView(batches[0]);
    expect([0, 1, 2].map((i) => view.row(i))).toEqual(rows);
    const table = await readArrowTable(path);
    expect(table.getChild('source_id')?.toArray()).toEqual(['track_0001', null, 'träck ✓']);
  });

  it('uses only the first generatedCount tags when asked', () => {
    const builder = new GeneratedRowsBuilder(1);
    builder.push(rows[1], 2);
    expect(new GeneratedRowsView(builder.finish()).row(0).generatedTags).toEqual([1, 2]);
  });

  it('refuses rows past its capacity', () => {
    const builder = new GeneratedRowsBuilder(1);
    builder.push(rows[0]);
    expect(() => builder.push(rows[0])).toThrow(/full/);
  });

  it('groups tags by category in taxonomy order', () => {
    const taxonomy = buildTaxonomy({ a: ['a0', 'a1'], b: ['b0', 'b1', 'b2'], c: ['c0', 'c1'] });
    expect(tagsByCategory(taxonomy, [5, 2, 0, 6, 4])).toEqual([[0], [2, 4], [5, 6]]);
  });
});
