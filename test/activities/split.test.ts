import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DedupeReport } from '../../activities/dedupe.js';
import { type SplitReport, split } from '../../activities/split.js';
import { runKey } from '../../core/io/index.js';
import { type DemoRun, demoRunThrough, inActivity } from '../helpers/demo-activities.js';
import { readRows, sortedTagKey } from '../helpers/generated-rows-fixture.js';

const splitBytes = async (run: DemoRun) => {
  const report = await run.store.readJson<SplitReport>(runKey(run.runId, 'split/report.json'));
  return Object.values(report.outputs)
    .flat()
    .map((k) => readFileSync(run.store.path(k)).toString('base64'));
};

describe('split', () => {
  let run: DemoRun;
  beforeAll(async () => {
    run = await demoRunThrough('split', { split: { train: 0.8, validation: 0.1, test: 0.1 } });
  });

  it('puts every unique row in exactly one split, at the configured ratios', async () => {
    const report = await run.store.readJson<SplitReport>(runKey(run.runId, 'split/report.json'));
    const n = run.deduped!.rowsOut;
    expect(report.counts).toEqual(run.split!.counts);
    const { train, validation, test } = report.counts;
    expect(train + validation + test).toBe(n);
    // held out = ceil(0.2 n), test = ceil(0.5 × held out)
    const heldOut = Math.ceil(0.2 * n);
    expect(train).toBe(n - heldOut);
    expect(test).toBe(Math.ceil(0.5 * heldOut));

    const dedupeReport = await run.store.readJson<DedupeReport>(
      runKey(run.runId, 'dedupe/report.json'),
    );
    const unique = (await readRows(dedupeReport.outputs.map((k) => run.store.path(k))))
      .map(sortedTagKey)
      .sort();
    const splitRows = await Promise.all(
      (['train', 'validation', 'test'] as const).map((s) =>
        readRows(report.outputs[s].map((k) => run.store.path(k))),
      ),
    );
    expect(splitRows.map((rows) => rows.length)).toEqual([train, validation, test]);
    expect(splitRows.flat().map(sortedTagKey).sort()).toEqual(unique);
  });

  it('gives the same split for the same seed, and another for another seed', async () => {
    const before = await splitBytes(run);
    const args = { runId: run.runId, catalogueRows: run.loaded!.catalogue.rows };
    await inActivity(split, [{ ...args, config: run.config }]);
    expect(await splitBytes(run)).toEqual(before);
    await inActivity(split, [{ ...args, config: { ...run.config, seed: run.config.seed + 1 } }]);
    expect(await splitBytes(run)).not.toEqual(before);
  });
});
