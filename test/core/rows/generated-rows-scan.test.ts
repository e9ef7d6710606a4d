import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { readArrowTable } from '../../../core/io/index.js';
import {
  type GeneratedRow,
  GeneratedRowsBuilder,
  Mode,
} from '../../../core/rows/generated-rows.js';
import {
  ArrowFileBuffer,
  scanGeneratedRows,
  stableOrderKey,
} from '../../../core/rows/generated-rows-scan.js';
import { readRows } from '../../helpers/generated-rows-fixture.js';
import { tempDir } from '../../helpers/pipeline.js';

const row = (temperatureIndex: number, mode: number, rowIndex: number): GeneratedRow => ({
  mode,
  temperatureIndex,
  temperature: 1 + temperatureIndex,
  rowIndex,
  sourceId: mode === Mode.seeded ? `t${rowIndex}` : null,
  seedTags: [],
  generatedTags: [rowIndex % 7, 10 + temperatureIndex],
  originalTags: [],
});

function batchOf(rows: GeneratedRow[]) {
  const builder = new GeneratedRowsBuilder(rows.length);
  for (const r of rows) builder.push(r);
  return builder.finish();
}

/** Writes each group of rows to its own file (one batch per inner array). */
function writeFiles(dir: string, files: GeneratedRow[][][]): string[] {
  return files.map((batches, i) => {
    const buffer = new ArrowFileBuffer(join(dir, `f${i}.arrow`));
    for (const b of batches) buffer.push(batchOf(b));
    return buffer.finish().path;
  });
}

async function collect(paths: string[], options?: { checkOrder?: boolean }) {
  const out = [];
  for await (const s of scanGeneratedRows(paths, options))
    out.push({
      fileIndex: s.fileIndex,
      firstRow: s.firstRow,
      fileRow: s.fileRow,
      n: s.view.length,
    });
  return out;
}

describe('stableOrderKey', () => {
  it('orders by temperature index, then mode (seeded first), then row index', () => {
    const keys = [
      stableOrderKey(0, Mode.seeded, 4_000_000_000),
      stableOrderKey(0, Mode.latent, 0),
      stableOrderKey(1, Mode.seeded, 0),
      stableOrderKey(1, Mode.seeded, 1),
      stableOrderKey(6, Mode.latent, 2 ** 32 - 1),
      // Coverage rows (added after dedupe) come after every seeded and latent row.
      stableOrderKey(0, Mode.coverage, 0),
      stableOrderKey(0, Mode.coverage, 7),
      stableOrderKey(65_535, Mode.coverage, 2 ** 32 - 1),
    ];
    expect([...keys].sort((a, b) => a - b)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Number.isSafeInteger(keys.at(-1))).toBe(true);
  });
});

describe('scanGeneratedRows', () => {
  it('yields every non-empty batch in input order with global and per-file positions', async () => {
    const dir = tempDir('scan');
    const paths = writeFiles(dir, [
      [[row(0, 0, 0), row(0, 0, 1)], [row(0, 0, 2)]],
      [[row(0, 1, 0), row(0, 1, 5)]],
      [[row(1, 0, 0)]],
    ]);
    expect(await collect(paths)).toEqual([
      { fileIndex: 0, firstRow: 0, fileRow: 0, n: 2 },
      { fileIndex: 0, firstRow: 2, fileRow: 2, n: 1 },
      { fileIndex: 1, firstRow: 3, fileRow: 0, n: 2 },
      { fileIndex: 2, firstRow: 5, fileRow: 0, n: 1 },
    ]);
  });

  it('refuses a row that repeats or goes back, naming both rows and files', async () => {
    const dir = tempDir('scan');
    const paths = writeFiles(dir, [[[row(0, 1, 3)]], [[row(0, 0, 9)]]]);
    const err = await collect(paths).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain(
      `generated rows ${paths[1]}: row 0 (temperature_index 0, mode 0, row_index 9)`,
    );
    expect(err.message).toContain(`(temperature_index 0, mode 1, row_index 3) in ${paths[0]}`);
    const repeated = writeFiles(tempDir('scan'), [[[row(0, 0, 1), row(0, 0, 1)]]]);
    await expect(collect(repeated)).rejects.toThrow(/row 1 .* does not come after/);
    // Order checks off: the same files scan through.
    expect(await collect(paths, { checkOrder: false })).toHaveLength(2);
  });

  it('refuses a mode other than seeded, latent or coverage, even with order checks off', async () => {
    const paths = writeFiles(tempDir('scan'), [[[row(0, 0, 0), row(0, 3, 1)]]]);
    await expect(collect(paths, { checkOrder: false })).rejects.toThrow(
      /row 1 has mode 3; expected 0 \(seeded\), 1 \(latent\) or 2 \(coverage\)/,
    );
    const coverage = writeFiles(tempDir('scan'), [[[row(6, 1, 0), row(0, 2, 0)]]]);
    expect(await collect(coverage)).toHaveLength(1);
  });

  it('names a file that is missing or not Arrow', async () => {
    const dir = tempDir('scan');
    await expect(collect([join(dir, 'nope.arrow')])).rejects.toThrow(
      `generated rows: file not found: ${join(dir, 'nope.arrow')}`,
    );
    const junk = join(dir, 'junk.arrow');
    writeFileSync(junk, 'definitely not arrow');
    await expect(collect([junk])).rejects.toThrow(
      `generated rows ${junk}: not a readable Arrow file`,
    );
  });
});

describe('ArrowFileBuffer', () => {
  it('writes its batches as one Arrow file atomically and describes it', async () => {
    const dir = tempDir('buffer');
    const buffer = new ArrowFileBuffer(join(dir, 'sub', 'out.arrow'));
    const rows = [row(0, 0, 0), row(0, 0, 1), row(0, 1, 0)];
    buffer.push(batchOf(rows.slice(0, 2)));
    buffer.push(batchOf([]));
    buffer.push(batchOf(rows.slice(2)));
    expect(existsSync(buffer.path)).toBe(false);
    const manifest = buffer.finish();
    expect(manifest.rows).toBe(3);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['out.arrow']);
    expect((await readArrowTable(buffer.path)).numRows).toBe(3);
    expect((await readRows([buffer.path])).map((r) => [r.mode, r.rowIndex])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
