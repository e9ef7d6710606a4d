import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { printExampleRows } from '../../cli/examples.js';
import { publishDataset } from '../../core/dataset/index.js';
import { readParquetFile } from '../../core/evaluation/index.js';
import { type SplitFixture, splitFixture } from '../helpers/publish-fixture.js';

describe('printExampleRows', () => {
  let fixture: SplitFixture;
  let target: string;
  beforeAll(async () => {
    fixture = await splitFixture(20);
    target = pathToFileURL(join(fixture.dir, 'published')).href;
    await publishDataset({
      target,
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      workDir: join(fixture.dir, 'work'),
    });
  });

  it('prints rows spread evenly over the train split: mode, temperature and tags', async () => {
    const lines: string[] = [];
    await printExampleRows(target, (l) => lines.push(l), 2);
    const file = 'data/train-00000-of-00001.parquet';
    expect(lines[0]).toBe(`example rows (${file}):`);
    const table = await readParquetFile(join(fixture.dir, 'published', file));
    // Two examples out of n rows: rows 0 and ⌊n/2⌋, so both ends of the temperature order show.
    expect(lines.slice(1)).toEqual(
      [0, Math.floor(table.numRows / 2)].map((i) => {
        const row = table.get(i)!.toJSON();
        return `  [${row.mode}, T=${row.temperature}] ${(row.aspect_list.toArray() as string[]).join(', ')}`;
      }),
    );
  });

  it('prints nothing for a Hub target', async () => {
    const lines: string[] = [];
    await printExampleRows('hf://datasets/me/tags', (l) => lines.push(l));
    expect(lines).toEqual([]);
  });
});
