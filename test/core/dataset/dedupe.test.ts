import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Int32, Schema, Table, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { dedupeGeneratedRows } from '../../../core/dataset/dedupe.js';
import { ValidationError } from '../../../core/errors.js';
import { writeArrowFile, writeArrowTable } from '../../../core/io/index.js';
import {
  GENERATED_ROWS_SCHEMA,
  type GeneratedRow,
  GeneratedRowsBuilder,
  Mode,
} from '../../../core/rows/index.js';
import {
  conceptcapsCatalogue,
  conceptcapsTaxonomy,
  fixtureRows,
  readRows,
  sortedTagKey,
  writeFixtureFiles,
} from '../../helpers/generated-rows-fixture.js';

const rowKey = (r: GeneratedRow) => `${r.temperatureIndex}/${r.mode}/${r.rowIndex}`;

describe('dedupe', () => {
  let rows: GeneratedRow[];
  let dir: string;

  beforeAll(() => {
    const taxonomy = conceptcapsTaxonomy();
    rows = fixtureRows({ taxonomy, catalogue: conceptcapsCatalogue(taxonomy).slice(0, 150) });
    dir = mkdtempSync(join(tmpdir(), 'tagflow-dedupe-'));
  });

  /** The first row of each tag set, found the obvious way. */
  function reference(all: GeneratedRow[]) {
    const seen = new Set<string>();
    return all.filter((r) => {
      const key = sortedTagKey(r);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  it('keeps the first row of each tag set in the stable order, and reports per group', async () => {
    const inputs = await writeFixtureFiles(rows, join(dir, 'in-a'), {
      rowsPerFile: 120,
      batchRows: 50,
    });
    const result = await dedupeGeneratedRows({
      inputs,
      outputDir: join(dir, 'out-a'),
      workDir: join(dir, 'work'),
    });
    const expected = reference(rows);
    expect(expected.length).toBeLessThan(rows.length * 0.7); // the fixture does repeat itself
    expect(result.rowsIn).toBe(rows.length);
    expect(result.rowsOut).toBe(expected.length);
    expect(result.outputs).toHaveLength(inputs.length);
    expect(result.outputs.reduce((s, o) => s + o.rows, 0)).toBe(expected.length);
    expect(await readRows(result.outputs.map((o) => o.path))).toEqual(expected);

    expect(result.groups).toHaveLength(14);
    expect(result.groups.slice(0, 3).map((g) => [g.temperatureIndex, g.mode])).toEqual([
      [0, 'seeded'],
      [0, 'latent'],
      [1, 'seeded'],
    ]);
    for (const group of result.groups) {
      const inGroup = (r: GeneratedRow) =>
        r.temperatureIndex === group.temperatureIndex && r.mode === Mode[group.mode];
      expect(group.rowsIn).toBe(rows.filter(inGroup).length);
      expect(group.rowsOut).toBe(expected.filter(inGroup).length);
      expect(group.dropped).toBe(group.rowsIn - group.rowsOut);
    }
    expect(result.groups[3]).toMatchObject({
      temperatureIndex: 1,
      mode: 'latent',
      temperature: 0.75,
    });
  });

  it('gives the same files with hash partitions as in one pass, and cleans its scratch', async () => {
    const inputs = await writeFixtureFiles(rows, join(dir, 'in-b'), {
      rowsPerFile: 300,
      batchRows: 64,
    });
    const single = await dedupeGeneratedRows({
      inputs,
      outputDir: join(dir, 'out-b1'),
      workDir: join(dir, 'work-b'),
    });
    const partitioned = await dedupeGeneratedRows({
      inputs,
      outputDir: join(dir, 'out-b7'),
      workDir: join(dir, 'work-b'),
      partitions: 7,
    });
    const budgeted = await dedupeGeneratedRows({
      inputs,
      outputDir: join(dir, 'out-bm'),
      workDir: join(dir, 'work-b'),
      memoryBudgetRows: 500,
    });
    expect(single.partitions).toBe(1);
    expect(partitioned.partitions).toBe(7);
    expect(budgeted.partitions).toBeGreaterThan(1);
    const digests = (r: typeof single) => r.outputs.map((o) => [o.rows, o.sha256]);
    expect(digests(partitioned)).toEqual(digests(single));
    expect(digests(budgeted)).toEqual(digests(single));
    expect(partitioned.groups).toEqual(single.groups);
    expect(readdirSync(join(dir, 'work-b'))).toEqual([]);
  });

  it('does not depend on how the rows are chunked into files and batches', async () => {
    const a = await writeFixtureFiles(rows, join(dir, 'in-c1'), {
      rowsPerFile: 1000,
      batchRows: 1000,
    });
    const b = await writeFixtureFiles(rows, join(dir, 'in-c2'), { rowsPerFile: 33, batchRows: 7 });
    const ra = await dedupeGeneratedRows({
      inputs: a,
      outputDir: join(dir, 'out-c1'),
      workDir: join(dir, 'work'),
    });
    const rb = await dedupeGeneratedRows({
      inputs: b,
      outputDir: join(dir, 'out-c2'),
      workDir: join(dir, 'work'),
      partitions: 3,
    });
    const kept = async (r: typeof ra) => (await readRows(r.outputs.map((o) => o.path))).map(rowKey);
    expect(await kept(rb)).toEqual(await kept(ra));
  });

  it('treats tag order and the seed/generated split as irrelevant, and repeated tags as one', async () => {
    const base = { temperature: 1, sourceId: 'track', originalTags: [1] };
    const made: GeneratedRow[] = [
      {
        ...base,
        mode: Mode.seeded,
        temperatureIndex: 0,
        rowIndex: 0,
        seedTags: [5],
        generatedTags: [9, 2],
      },
      {
        ...base,
        mode: Mode.seeded,
        temperatureIndex: 0,
        rowIndex: 1,
        seedTags: [],
        generatedTags: [2, 9, 5],
      },
      {
        ...base,
        mode: Mode.seeded,
        temperatureIndex: 0,
        rowIndex: 2,
        seedTags: [2, 9],
        generatedTags: [5, 2],
      },
      {
        ...base,
        mode: Mode.seeded,
        temperatureIndex: 0,
        rowIndex: 3,
        seedTags: [2],
        generatedTags: [9],
      },
      {
        ...base,
        mode: Mode.latent,
        temperatureIndex: 0,
        rowIndex: 0,
        sourceId: null,
        seedTags: [],
        generatedTags: [9, 2],
      },
      {
        ...base,
        mode: Mode.seeded,
        temperatureIndex: 1,
        rowIndex: 0,
        seedTags: [],
        generatedTags: [],
      },
      {
        ...base,
        mode: Mode.latent,
        temperatureIndex: 1,
        rowIndex: 0,
        sourceId: null,
        seedTags: [],
        generatedTags: [],
      },
    ];
    const builder = new GeneratedRowsBuilder(made.length);
    for (const r of made) builder.push(r);
    const path = join(dir, 'tiny.arrow');
    await writeArrowFile(path, GENERATED_ROWS_SCHEMA, [builder.finish()]);
    for (const partitions of [1, 4]) {
      const result = await dedupeGeneratedRows({
        inputs: [path],
        outputDir: join(dir, `tiny-${partitions}`),
        workDir: join(dir, 'work'),
        partitions,
      });
      expect((await readRows([result.outputs[0].path])).map(rowKey)).toEqual([
        '0/0/0',
        '0/0/3',
        '1/0/0',
      ]);
    }
  });

  it('refuses inputs out of the stable order, missing files and foreign schemas', async () => {
    const inputs = await writeFixtureFiles(rows.slice(0, 400), join(dir, 'in-d'), {
      rowsPerFile: 100,
    });
    const swapped = [inputs[1], inputs[0], ...inputs.slice(2)];
    await expect(
      dedupeGeneratedRows({
        inputs: swapped,
        outputDir: join(dir, 'out-d'),
        workDir: join(dir, 'work'),
      }),
    ).rejects.toThrow(/does not come after .* \(temperature index, mode, row index\) order/);
    expect(readdirSync(join(dir, 'out-d')).filter((n) => n.includes('.tmp-'))).toEqual([]);
    const missing = join(dir, 'nope.arrow');
    await expect(
      dedupeGeneratedRows({
        inputs: [missing],
        outputDir: join(dir, 'out-d'),
        workDir: join(dir, 'work'),
      }),
    ).rejects.toThrow(new ValidationError(`generated rows: file not found: ${missing}`));
    const foreign = join(dir, 'foreign.arrow');
    await writeArrowTable(
      foreign,
      new Table(new Schema([new Field('x', new Int32())]), {
        x: vectorFromArray([1], new Int32()),
      }),
    );
    const err = await dedupeGeneratedRows({
      inputs: [foreign],
      outputDir: join(dir, 'out-d'),
      workDir: join(dir, 'work'),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain(foreign);
    expect(err.message).toMatch(/unexpected schema/);
    const garbage = join(dir, 'garbage.arrow');
    writeFileSync(garbage, 'not arrow');
    await expect(
      dedupeGeneratedRows({
        inputs: [garbage],
        outputDir: join(dir, 'out-d'),
        workDir: join(dir, 'work'),
      }),
    ).rejects.toThrow();
  });
});
