import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { publishDataset } from '../../../core/dataset/index.js';
import { ValidationError } from '../../../core/errors.js';
import {
  publishedParquetFiles,
  readParquetFile,
  readPublishedRows,
} from '../../../core/evaluation/published-dataset.js';
import { loadTaxonomy } from '../../../core/inputs/index.js';
import { readRows, sortedTagKey } from '../../helpers/generated-rows-fixture.js';
import { REPO_ROOT, tempDir } from '../../helpers/pipeline.js';
import { type SplitFixture, splitFixture } from '../../helpers/publish-fixture.js';

describe('reading a published dataset back', () => {
  let fixture: SplitFixture;
  let folder: string;

  beforeAll(async () => {
    fixture = await splitFixture(30);
    folder = join(fixture.dir, 'published');
    await publishDataset({
      target: pathToFileURL(folder).href,
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      workDir: join(fixture.dir, 'work'),
      maxShardBytes: 20_000,
    });
  });

  it('lists the Parquet shards in name order, all or one split', () => {
    const all = publishedParquetFiles(folder);
    expect(all.length).toBeGreaterThan(3);
    expect(all).toEqual([...all].sort());
    const test = publishedParquetFiles(folder, 'test');
    expect(test.length).toBeGreaterThan(0);
    expect(test.every((f) => /\/data\/test-\d{5}-of-\d{5}\.parquet$/.test(f))).toBe(true);
    expect(all).toEqual(expect.arrayContaining(test));
  });

  it('reads every published row as tag ids, grouping repeated temperature values', async () => {
    const rows = await readPublishedRows({ dir: folder, taxonomy: fixture.taxonomy });
    expect(rows).toHaveLength(fixture.dedupe.rowsOut);
    // The notebook's list has 1.0 twice: six distinct values, indices by value order.
    const byTemperature = new Map(rows.map((r) => [r.temperature, r.temperatureIndex]));
    expect([...byTemperature.entries()].sort((a, b) => a[0] - b[0])).toEqual(
      [0.5, 0.75, 1, 1.25, 1.5, 2].map((t, i) => [t, i]),
    );
    // Same multiset of tag sets as the deduplicated rows.
    const published = rows
      .map((r) =>
        Array.from(r.tags)
          .sort((a, b) => a - b)
          .join(','),
      )
      .sort();
    const deduped = (await readRows(fixture.dedupe.outputs.map((o) => o.path)))
      .map(sortedTagKey)
      .sort();
    expect(published).toEqual(deduped);
    expect(new Set(rows.map((r) => r.mode))).toEqual(new Set(['seeded', 'latent']));
  });

  it('refuses a tag the taxonomy does not have, naming file and row', async () => {
    const demo = loadTaxonomy(join(REPO_ROOT, 'data/demo/taxonomy.json'));
    await expect(readPublishedRows({ dir: folder, taxonomy: demo })).rejects.toThrow(
      /\.parquet: row \d+ has tag ".+", which the taxonomy does not have/,
    );
  });

  it('names a folder that is not a published dataset, or a file that is not Parquet', async () => {
    const empty = tempDir('not-published');
    expect(() => publishedParquetFiles(empty)).toThrow(
      new ValidationError(`dataset ${empty}: no data/ folder (is it a published tagflow dataset?)`),
    );
    mkdirSync(join(empty, 'data'));
    expect(() => publishedParquetFiles(empty, 'train')).toThrow(
      'no Parquet files in data/ for split train',
    );
    const junk = join(empty, 'data', 'train-00000-of-00001.parquet');
    writeFileSync(junk, 'PAR1 but not really');
    await expect(readParquetFile(junk)).rejects.toThrow(`${junk}: not a readable Parquet file`);
  });
});
