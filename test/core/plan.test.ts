import { describe, expect, it } from 'vitest';
import {
  AUTO_CHUNK_MAX_ROWS,
  autoChunkRows,
  chunkKey,
  generatesInline,
  INLINE_GENERATION_MAX_CHUNKS,
  latentRowsPerTemperature,
  MAX_COVERAGE_PARTS,
  planChunkKeys,
  planConcepts,
  planCoverageParts,
  planGeneration,
  planRunGeneration,
} from '../../core/plan.js';
import { chunkJobBase } from '../../core/run-types.js';
import { demoConfig, tempDir } from '../helpers/pipeline.js';

const temperatures = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];

describe('planGeneration', () => {
  it('cuts each temperature into chunks that cover its rows exactly, seeded before latent', () => {
    for (const chunkRows of [1, 257, 2041, 5000]) {
      const plan = planGeneration({
        temperatures,
        catalogueRows: 2041,
        seeded: true,
        latent: true,
        chunkRows,
      });
      expect(plan.map((t) => t.temperature)).toEqual(temperatures);
      for (const t of plan) {
        expect([t.seededRows, t.latentRows]).toEqual([2041, 2041]);
        for (const mode of ['seeded', 'latent'] as const) {
          const chunks = t.chunks.filter((c) => c.mode === mode);
          expect(chunks[0].rowStart).toBe(0);
          chunks.forEach((c, i) => {
            expect(c.rowEnd - c.rowStart).toBeGreaterThan(0);
            expect(c.rowEnd - c.rowStart).toBeLessThanOrEqual(chunkRows);
            if (i > 0) expect(c.rowStart).toBe(chunks[i - 1].rowEnd);
            expect(c.temperature).toBe(t.temperature);
            expect(c.key).toBe(chunkKey(mode, t.temperatureIndex, c.rowStart, c.rowEnd));
          });
          expect(chunks.at(-1)!.rowEnd).toBe(2041);
          expect(chunks).toHaveLength(Math.ceil(2041 / chunkRows));
        }
        const modes = t.chunks.map((c) => c.mode);
        expect(modes.lastIndexOf('seeded')).toBeLessThan(modes.indexOf('latent'));
      }
    }
  });

  it('runs a few dozen chunks from the run itself, more through a child per temperature', () => {
    const plan = (chunkRows: number) =>
      planGeneration({ temperatures, catalogueRows: 2041, seeded: true, latent: true, chunkRows });
    // The notebook's job at the default chunk size: 14 chunks.
    expect(generatesInline(plan(5000))).toBe(true);
    expect(generatesInline(plan(700))).toBe(false);
    const limit = planGeneration({
      temperatures: [1],
      catalogueRows: 0,
      seeded: false,
      latent: true,
      latentRows: INLINE_GENERATION_MAX_CHUNKS,
      chunkRows: 1,
    });
    expect(generatesInline(limit)).toBe(true);
    limit[0].chunks.push(limit[0].chunks[0]);
    expect(generatesInline(limit)).toBe(false);
  });

  it('sizes chunks to the run when the config leaves chunkRows unset', () => {
    expect(autoChunkRows(2041)).toBe(2041);
    expect(autoChunkRows(AUTO_CHUNK_MAX_ROWS)).toBe(AUTO_CHUNK_MAX_ROWS);
    // 10M latent rows over 7 temperatures: 1,428,572 a temperature, 6 equal chunks.
    expect(autoChunkRows(1_428_572)).toBe(238_096);
    expect(autoChunkRows(1e10)).toBe(1e6); // no more than MAX_CHUNKS_PER_TEMPERATURE
    const plan = planGeneration({
      temperatures,
      catalogueRows: 2041,
      seeded: true,
      latent: true,
      latentRows: 10_000_000,
    });
    for (const t of plan) {
      const latent = t.chunks.filter((c) => c.mode === 'latent');
      expect(latent.length).toBe(6);
      expect(latent.at(-1)!.rowEnd).toBe(t.latentRows);
      expect(Math.max(...latent.map((c) => c.rowEnd - c.rowStart))).toBeLessThanOrEqual(
        AUTO_CHUNK_MAX_ROWS,
      );
      expect(t.chunks.filter((c) => c.mode === 'seeded')).toHaveLength(1);
    }
    // The notebook's job: one chunk per temperature and mode, as with any chunkRows ≥ 2,041.
    const notebook = planGeneration({
      temperatures,
      catalogueRows: 2041,
      seeded: true,
      latent: true,
    });
    expect(notebook.flatMap((t) => t.chunks)).toHaveLength(14);
  });

  it('spreads an explicit latent total evenly, the remainder to the first temperatures', () => {
    expect(latentRowsPerTemperature(10, 3)).toEqual([4, 3, 3]);
    expect(latentRowsPerTemperature(2, 4)).toEqual([1, 1, 0, 0]);
    const plan = planGeneration({
      temperatures: [1, 2, 3],
      catalogueRows: 5,
      seeded: false,
      latent: true,
      latentRows: 10,
      chunkRows: 3,
    });
    expect(plan.map((t) => [t.seededRows, t.latentRows])).toEqual([
      [0, 4],
      [0, 3],
      [0, 3],
    ]);
    expect(plan.flatMap((t) => t.chunks.map((c) => c.mode))).not.toContain('seeded');
    expect(plan[0].chunks.map((c) => [c.rowStart, c.rowEnd])).toEqual([
      [0, 3],
      [3, 4],
    ]);
  });

  it('plans no latent chunks when latent generation is off', () => {
    const plan = planGeneration({
      temperatures,
      catalogueRows: 100,
      seeded: true,
      latent: false,
      chunkRows: 30,
    });
    expect(
      plan.every((t) => t.latentRows === 0 && t.chunks.every((c) => c.mode === 'seeded')),
    ).toBe(true);
  });

  it('names chunks so that sorting the names gives (temperature, mode, row) order', () => {
    const plan = planGeneration({
      temperatures: Array.from({ length: 12 }, (_, i) => 0.25 * (i + 1)),
      catalogueRows: 25_000,
      seeded: true,
      latent: true,
      chunkRows: 900,
    });
    const keys = planChunkKeys(plan);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(keys);
    expect(chunkKey('latent', 3, 900, 1800)).toBe(
      'generated/t003-1latent-r0000000900-0000001800.arrow',
    );
  });
});

describe('planRunGeneration and chunkJobBase', () => {
  const config = demoConfig('plan-spec', tempDir('plan'), {
    seed: 11,
    generation: {
      temperatures: [0.5, 2],
      seeded: { enabled: false },
      latent: { rows: 9 },
      chunkRows: 4,
      selection: 'sample',
      countCoupling: 'coupled',
    },
    execution: { maxParallelChunks: 4, maxParallelTemperatures: 8, checkpointSeconds: 2.5 },
  });

  it("plans the configuration's temperatures, modes, latent rows and chunk size", () => {
    const plan = planRunGeneration(config.generation, 300);
    expect(plan.map((t) => [t.temperature, t.seededRows, t.latentRows])).toEqual([
      [0.5, 0, 5],
      [2, 0, 4],
    ]);
    expect(plan[0].chunks.map((c) => [c.mode, c.rowStart, c.rowEnd])).toEqual([
      ['latent', 0, 4],
      ['latent', 4, 5],
    ]);
  });

  it("carries the run's generation settings into every chunk job", () => {
    expect(chunkJobBase('run-7', config)).toEqual({
      runId: 'run-7',
      artifacts: config.artifacts,
      taxonomy: config.taxonomy,
      modelPack: config.model.pack,
      seed: 11,
      batchSize: config.generation.batchSize,
      selection: 'sample',
      countCoupling: 'coupled',
      seedCategories: config.generation.seeded.seedCategories,
      checkpointSeconds: 2.5,
      temperatureMode: 'spread',
      latentPrior: 'corpus',
      corpus: {
        path: config.counts.mode === 'fit' ? config.counts.reference : '',
        tagColumns: undefined,
      },
      calibration: { steps: 8, rows: 16_384 },
    });
  });
});

describe('planConcepts', () => {
  it('puts as many whole concepts in a part as chunkRows holds, at least one', () => {
    expect(planConcepts(200, 200, 5000)).toHaveLength(17); // 12 concepts (4,800 rows) a part
    const parts = planConcepts(5, 100, 450);
    expect(parts.map((p) => [p.start, p.end])).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(parts[0].key).toBe('concepts/train-00000-of-00003.parquet');
    expect(planConcepts(3, 1000, 10).map((p) => p.end - p.start)).toEqual([1, 1, 1]);
  });
});

describe('planCoverageParts', () => {
  it("packs a round's ranges into parts of chunkRows candidates, splitting a range across parts", () => {
    const ranges = [
      { tag: 3, from: 0, to: 30 },
      { tag: 7, from: 16, to: 21 },
      { tag: 9, from: 0, to: 100 },
    ];
    const parts = planCoverageParts(2, ranges, 40);
    expect(parts.map((p) => p.ranges)).toEqual([
      [
        { tag: 3, from: 0, to: 30 },
        { tag: 7, from: 16, to: 21 },
        { tag: 9, from: 0, to: 5 },
      ],
      [{ tag: 9, from: 5, to: 45 }],
      [{ tag: 9, from: 45, to: 85 }],
      [{ tag: 9, from: 85, to: 100 }],
    ]);
    expect(parts.map((p) => p.key)).toEqual([
      'coverage/r02-p00000.arrow',
      'coverage/r02-p00001.arrow',
      'coverage/r02-p00002.arrow',
      'coverage/r02-p00003.arrow',
    ]);
    expect(parts.every((p) => p.round === 2)).toBe(true);
    expect(planCoverageParts(0, [], 40)).toEqual([]);
    // One big part holds everything.
    expect(planCoverageParts(0, ranges, 10_000)).toHaveLength(1);
    // A huge round gets bigger parts rather than more than MAX_COVERAGE_PARTS of them.
    const huge = Array.from({ length: 200 }, (_, tag) => ({ tag, from: 0, to: 100_003 }));
    const big = planCoverageParts(1, huge, 5000);
    expect(big).toHaveLength(MAX_COVERAGE_PARTS);
    const sizes = big.map((p) => p.ranges.reduce((n, r) => n + r.to - r.from, 0));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200 * 100_003);
    expect(Math.max(...sizes)).toBe(Math.ceil((200 * 100_003) / MAX_COVERAGE_PARTS));
  });
});
