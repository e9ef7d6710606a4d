import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { PublishedRowsEncoder, RawGeneratedRows } from '../../../core/dataset/index.js';
import { PARQUET_CREATED_BY, writeParquetFile } from '../../../core/io/parquet.js';
import { GeneratedRowsBuilder } from '../../../core/rows/index.js';
import {
  conceptcapsCatalogue,
  conceptcapsTaxonomy,
  fixtureRows,
} from '../../helpers/generated-rows-fixture.js';
import { runPython } from '../../helpers/python-datasets.js';

describe('Parquet files', () => {
  const taxonomy = conceptcapsTaxonomy();
  const rows = fixtureRows({ taxonomy, catalogue: conceptcapsCatalogue(taxonomy).slice(0, 40) });
  const builder = new GeneratedRowsBuilder(rows.length);
  for (const r of rows) builder.push(r);
  const raw = new RawGeneratedRows(builder.finish());
  const encoder = new PublishedRowsEncoder(taxonomy);
  const batches: RecordBatch[] = [];
  for (let start = 0; start < raw.length; start += 100) {
    encoder.reset(Math.min(100, raw.length - start));
    for (let i = start; i < Math.min(raw.length, start + 100); i++) encoder.append(raw, i);
    batches.push(encoder.finish());
  }

  it('are the same bytes streamed or written in one call, stable across writes, no timestamps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagflow-parquet-'));
    const streamed = await writeParquetFile(join(dir, 'a.parquet'), batches, { rowGroupRows: 100 });
    const again = await writeParquetFile(join(dir, 'b.parquet'), batches, { rowGroupRows: 100 });
    const whole = await writeParquetFile(join(dir, 'c.parquet'), batches, {
      rowGroupRows: 100,
      inMemory: true,
    });
    expect(again).toEqual(streamed);
    expect(whole).toEqual(streamed);
    expect(readFileSync(join(dir, 'a.parquet')).length).toBe(streamed.bytes);

    const meta = runPython<{
      rows: number;
      groups: number;
      created_by: string;
      codec: string;
      types: string[];
      first: unknown;
    }>(
      `
import json, sys, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
print(json.dumps({"rows": f.metadata.num_rows, "groups": f.metadata.num_row_groups,
  "created_by": f.metadata.created_by, "codec": f.metadata.row_group(0).column(1).compression,
  "types": [str(t) for t in f.schema_arrow.types], "first": f.read().slice(0, 1).to_pylist()[0]}))
`,
      [join(dir, 'a.parquet')],
    );
    expect(meta.rows).toBe(rows.length);
    expect(meta.groups).toBe(Math.ceil(rows.length / 100));
    expect(meta.created_by).toBe(PARQUET_CREATED_BY);
    expect(meta.codec).toBe('ZSTD');
    expect(meta.types.slice(0, 3)).toEqual([
      'string',
      'list<item: string not null>',
      'list<item: string not null>',
    ]);
    expect(meta.first).toEqual(encoder.row(raw, 0));
  });
});
