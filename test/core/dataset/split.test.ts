import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SPLIT_RATIOS,
  SPLIT_NAMES,
  type SplitResult,
  splitGeneratedRows,
  splitSizes,
  validateSplitRatios,
} from '../../../core/dataset/split.js';
import { ValidationError } from '../../../core/errors.js';
import { rowStream, Stage } from '../../../core/rng.js';
import { type GeneratedRow, Mode } from '../../../core/rows/index.js';
import {
  conceptcapsCatalogue,
  conceptcapsTaxonomy,
  fixtureRows,
  readRows,
  writeFixtureFiles,
} from '../../helpers/generated-rows-fixture.js';

const key = (r: GeneratedRow) => `${r.temperatureIndex}/${r.mode}/${r.rowIndex}`;

/** Which split each row went to, by (temperature index, mode, row index). */
async function assignment(result: SplitResult) {
  const out = new Map<string, string>();
  for (const name of SPLIT_NAMES) {
    for (const row of await readRows(result.outputs[name].map((o) => o.path)))
      out.set(key(row), name);
  }
  return out;
}

describe('split ratios', () => {
  it('defaults to 90 / 5 / 5 and accepts valid ratios', () => {
    expect(validateSplitRatios({})).toEqual({ train: 0.9, validation: 0.05, test: 0.05 });
    expect(validateSplitRatios({ train: 0.8, validation: 0.1, test: 0.1 })).toEqual({
      train: 0.8,
      validation: 0.1,
      test: 0.1,
    });
    expect(validateSplitRatios({ train: 1, validation: 0, test: 0 })).toEqual({
      train: 1,
      validation: 0,
      test: 0,
    });
  });

  it.each([
    [{ train: 0.9, validation: 0.05 }, /test missing/],
    [{ train: 0.9, validation: 0.2, test: -0.1 }, /test must be a number in \[0, 1\], got -0.1/],
    [{ train: 1.5, validation: 0, test: 0 }, /train must be a number in \[0, 1\]/],
    [{ train: Number.NaN, validation: 0.5, test: 0.5 }, /train must be a number/],
    [{ train: 0, validation: 0.5, test: 0.5 }, /train must be greater than 0/],
    [{ train: 0.9, validation: 0.05, test: 0.06 }, /must be 1, got 0.9 \+ 0.05 \+ 0.06 = 1.01/],
  ])('refuses %j', (ratios, message) => {
    expect(() => validateSplitRatios(ratios)).toThrow(ValidationError);
    expect(() => validateSplitRatios(ratios)).toThrow(message);
  });

  it('sizes splits as the notebook did: 16,043 rows → 14,438 / 802 / 803', () => {
    expect(splitSizes(16_043, DEFAULT_SPLIT_RATIOS)).toEqual({
      train: 14_438,
      validation: 802,
      test: 803,
    });
    // 0.1 × 30 is 3.0000000000000004 in floating point; that must not cost a training row.
    expect(splitSizes(30, DEFAULT_SPLIT_RATIOS)).toEqual({ train: 27, validation: 1, test: 2 });
    expect(splitSizes(0, DEFAULT_SPLIT_RATIOS)).toEqual({ train: 0, validation: 0, test: 0 });
    expect(splitSizes(10, { train: 1, validation: 0, test: 0 })).toEqual({
      train: 10,
      validation: 0,
      test: 0,
    });
    expect(splitSizes(10, { train: 0.5, validation: 0.5, test: 0 })).toEqual({
      train: 5,
      validation: 5,
      test: 0,
    });
  });
});

describe('split', () => {
  let rows: GeneratedRow[];
  let dir: string;
  let inputs: string[];

  beforeAll(async () => {
    const taxonomy = conceptcapsTaxonomy();
    rows = fixtureRows({ taxonomy, catalogue: conceptcapsCatalogue(taxonomy).slice(0, 100) });
    dir = mkdtempSync(join(tmpdir(), 'tagflow-split-'));
    inputs = await writeFixtureFiles(rows, join(dir, 'in'), { rowsPerFile: 150, batchRows: 40 });
  });

  it('cuts exact sizes by rank of each row’s keyed draw and keeps the stable order', async () => {
    const result = await splitGeneratedRows({
      inputs,
      outputDir: join(dir, 'a'),
      seed: 42,
      ratios: DEFAULT_SPLIT_RATIOS,
    });
    expect(result.counts).toEqual(splitSizes(rows.length, DEFAULT_SPLIT_RATIOS));
    // Independently: rank rows by their draw, take the lowest for train, the next for validation.
    const draw = (r: GeneratedRow) =>
      rowStream({
        seed: 42,
        stage: Stage.Split,
        temperatureIndex: r.temperatureIndex * 2 + r.mode,
        row: r.rowIndex,
      }).uniform();
    const ranked = [...rows].sort((a, b) => draw(a) - draw(b));
    const { train, validation } = result.counts;
    const expected = new Map(
      ranked.map((r, i) => [
        key(r),
        i < train ? 'train' : i < train + validation ? 'validation' : 'test',
      ]),
    );
    expect(await assignment(result)).toEqual(expected);
    for (const name of SPLIT_NAMES) {
      const got = await readRows(result.outputs[name].map((o) => o.path));
      expect(got).toEqual(rows.filter((r) => expected.get(key(r)) === name)); // stable order, rows intact
    }
    const byGroupTotal = result.byGroup.reduce((s, g) => s + g.train + g.validation + g.test, 0);
    expect(byGroupTotal).toBe(rows.length);
  });

  it('is deterministic, independent of chunking and memory budget, and changes with the seed', async () => {
    const a = await splitGeneratedRows({
      inputs,
      outputDir: join(dir, 'b1'),
      seed: 7,
      ratios: DEFAULT_SPLIT_RATIOS,
    });
    const again = await splitGeneratedRows({
      inputs,
      outputDir: join(dir, 'b2'),
      seed: 7,
      ratios: DEFAULT_SPLIT_RATIOS,
    });
    expect(again.outputs.train.map((o) => o.sha256)).toEqual(a.outputs.train.map((o) => o.sha256));
    const rechunked = await writeFixtureFiles(rows, join(dir, 'in-small'), {
      rowsPerFile: 17,
      batchRows: 5,
    });
    const b = await splitGeneratedRows({
      inputs: rechunked,
      outputDir: join(dir, 'b3'),
      seed: 7,
      ratios: DEFAULT_SPLIT_RATIOS,
      memoryBudgetRows: 100, // forces the draws to be recomputed in passes 2 and 3
      maxRowsPerFile: 200,
    });
    expect(b.outputs.train.length).toBeGreaterThan(1);
    expect(await assignment(b)).toEqual(await assignment(a));
    const other = await splitGeneratedRows({
      inputs,
      outputDir: join(dir, 'b4'),
      seed: 8,
      ratios: DEFAULT_SPLIT_RATIOS,
    });
    expect(await assignment(other)).not.toEqual(await assignment(a));
    expect(other.counts).toEqual(a.counts);
  });

  it('stratifies by temperature and mode: each group is sized on its own', async () => {
    const ratios = { train: 0.7, validation: 0.2, test: 0.1 };
    const result = await splitGeneratedRows({
      inputs,
      outputDir: join(dir, 'c'),
      seed: 3,
      ratios,
      stratify: true,
    });
    expect(result.byGroup).toHaveLength(14);
    for (const group of result.byGroup) {
      const n = rows.filter(
        (r) =>
          r.temperatureIndex === group.temperatureIndex &&
          r.mode === (group.mode === 'seeded' ? 0 : 1),
      ).length;
      expect({ train: group.train, validation: group.validation, test: group.test }).toEqual(
        splitSizes(n, ratios),
      );
    }
  });

  it('splits coverage rows on their own, leaving every other row where it was', async () => {
    const coverage: GeneratedRow[] = Array.from({ length: 37 }, (_, i) => ({
      mode: Mode.coverage,
      temperatureIndex: i % 3,
      temperature: [0.5, 1, 2][i % 3],
      rowIndex: i,
      sourceId: null,
      seedTags: [i % 50],
      generatedTags: [100 + (i % 60), 160 + (i % 7)],
      originalTags: [],
    }));
    coverage.sort((a, b) => a.temperatureIndex - b.temperatureIndex || a.rowIndex - b.rowIndex);
    const withCoverage = [
      ...inputs,
      ...(await writeFixtureFiles(coverage, join(dir, 'in-coverage'), { rowsPerFile: 20 })),
    ];
    const ratios = { train: 0.8, validation: 0.1, test: 0.1 };
    const plain = await splitGeneratedRows({ inputs, outputDir: join(dir, 'e1'), seed: 5, ratios });
    const covered = await splitGeneratedRows({
      inputs: withCoverage,
      outputDir: join(dir, 'e2'),
      seed: 5,
      ratios,
    });
    const placed = await assignment(covered);
    for (const [row, split] of await assignment(plain)) expect(placed.get(row)).toBe(split);
    const sizes = splitSizes(coverage.length, ratios);
    for (const name of SPLIT_NAMES)
      expect(covered.counts[name]).toBe(plain.counts[name] + sizes[name]);
    expect(covered.byGroup.filter((g) => g.mode === 'coverage')).toHaveLength(3);
  });

  it('writes empty files for empty splits and refuses bad input', async () => {
    const result = await splitGeneratedRows({
      inputs,
      outputDir: join(dir, 'd'),
      seed: 1,
      ratios: { train: 1, validation: 0, test: 0 },
    });
    expect(result.counts).toEqual({ train: rows.length, validation: 0, test: 0 });
    expect(result.outputs.test).toHaveLength(1);
    expect(result.outputs.test[0].rows).toBe(0);
    await expect(
      splitGeneratedRows({
        inputs,
        outputDir: join(dir, 'e'),
        seed: 1,
        ratios: { train: 0.5, validation: 0.5, test: 0.5 },
      }),
    ).rejects.toThrow(ValidationError);
    await expect(
      splitGeneratedRows({
        inputs,
        outputDir: join(dir, 'e'),
        seed: -1,
        ratios: DEFAULT_SPLIT_RATIOS,
      }),
    ).rejects.toThrow(/seed must be a non-negative safe integer/);
  });
});
