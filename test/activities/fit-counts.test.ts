import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { fitCounts } from '../../activities/fit-counts.js';
import { NOTEBOOK_COUNTS_CONFIG } from '../../core/config.js';
import { demoRunThrough, inActivity, runFolder } from '../helpers/demo-activities.js';

const countsOf = (path: string) => {
  const table = tableFromIPC(readFileSync(path));
  return Object.fromEntries(
    table.schema.fields.map((f) => [f.name, Array.from(table.getChild(f.name)!.toArray())]),
  );
};

describe('fitCounts', () => {
  it('fits the count model on the reference corpus and draws one row of counts per track', async () => {
    const run = await demoRunThrough('counts');
    const rows = run.loaded!.catalogue.rows;
    expect(run.counts!.kind).toBe('fitted');
    expect(run.counts!.key).toBe(`runs/${run.runId}/count-model.json`);
    const model = await run.store.readJson<{ kind: string }>(run.counts!.key);
    expect(model.kind).toBe('fitted');
    const counts = countsOf(runFolder(run, 'counts.arrow'));
    expect(Object.keys(counts)).toEqual(run.loaded!.taxonomy.categories);
    expect(Object.keys(run.counts!.expectedMeans)).toEqual(run.loaded!.taxonomy.categories);
    for (const [category, column] of Object.entries(counts)) {
      expect(column).toHaveLength(rows);
      const mean = (column as number[]).reduce((a, b) => a + b, 0) / rows;
      // 300 draws: the sample mean is near the model's expectation.
      expect(Math.abs(mean - run.counts!.expectedMeans[category])).toBeLessThan(0.35);
    }
  });

  it('draws the same counts for the same seed, and others for another seed', async () => {
    const run = await demoRunThrough('counts');
    const first = readFileSync(runFolder(run, 'counts.arrow'));
    const args = { runId: run.runId, catalogueRows: run.loaded!.catalogue.rows };
    await inActivity(fitCounts, [{ ...args, config: run.config }]);
    expect(readFileSync(runFolder(run, 'counts.arrow')).equals(first)).toBe(true);
    await inActivity(fitCounts, [
      { ...args, config: { ...run.config, seed: run.config.seed + 1 } },
    ]);
    expect(readFileSync(runFolder(run, 'counts.arrow')).equals(first)).toBe(false);
  });

  it('builds the model from explicit parameters in params mode', async () => {
    const run = await demoRunThrough('load', { counts: NOTEBOOK_COUNTS_CONFIG });
    const summary = await inActivity(fitCounts, [
      { runId: run.runId, config: run.config, catalogueRows: run.loaded!.catalogue.rows },
    ]);
    expect(summary.kind).toBe('params');
    for (const mean of Object.values(summary.expectedMeans)) expect(mean).toBeGreaterThan(0);
  });
});
