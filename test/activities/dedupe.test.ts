import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DedupeReport, dedupe, generatedChunkKeys } from '../../activities/dedupe.js';
import { runKey } from '../../core/io/index.js';
import { type DemoRun, demoRunThrough, inActivity } from '../helpers/demo-activities.js';
import { readRows, sortedTagKey } from '../helpers/generated-rows-fixture.js';

describe('dedupe', () => {
  let run: DemoRun;
  beforeAll(async () => {
    run = await demoRunThrough('dedupe');
  });

  it('finds the chunk files by the plan, in the stable order', () => {
    const keys = generatedChunkKeys(run.runId, run.config, run.loaded!.catalogue.rows);
    // 300 seeded + 60 latent rows at each of 2 temperatures, chunks of at most 100 rows.
    expect(keys).toHaveLength(2 * (3 + 1));
    expect([...keys].sort()).toEqual(keys);
    expect(keys.every((k) => k.startsWith(`runs/${run.runId}/generated/`))).toBe(true);
    const onDisk = readdirSync(run.store.path(runKey(run.runId, 'generated'))).sort();
    expect(keys.map((k) => k.split('/').at(-1))).toEqual(onDisk);
  });

  it('keeps the first row of every tag set and records what it kept', async () => {
    const report = await run.store.readJson<DedupeReport>(runKey(run.runId, 'dedupe/report.json'));
    expect(report.rowsIn).toBe(run.rowsGenerated);
    const generated = await readRows(
      generatedChunkKeys(run.runId, run.config, run.loaded!.catalogue.rows).map((k) =>
        run.store.path(k),
      ),
    );
    const firstOfEach = new Map<string, (typeof generated)[number]>();
    for (const row of generated)
      if (!firstOfEach.has(sortedTagKey(row))) firstOfEach.set(sortedTagKey(row), row);
    const kept = await readRows(report.outputs.map((k) => run.store.path(k)));
    expect(report.rowsOut).toBe(firstOfEach.size);
    expect(run.deduped!.rowsOut).toBe(firstOfEach.size);
    expect(kept).toEqual([...firstOfEach.values()]);
    expect(report.groups.reduce((n, g) => n + g.rowsOut, 0)).toBe(report.rowsOut);
  });

  it('starts clean on a retry and gives the same files', async () => {
    const report = await run.store.readJson<DedupeReport>(runKey(run.runId, 'dedupe/report.json'));
    const bytes = report.outputs.map((k) => readFileSync(run.store.path(k)));
    const dir = run.store.path(runKey(run.runId, 'dedupe'));
    const listing = readdirSync(dir).sort();
    // A stray file from a crashed attempt must not survive.
    writeFileSync(join(dir, 'stray.arrow.tmp-1'), 'x');
    await inActivity(dedupe, [
      { runId: run.runId, config: run.config, catalogueRows: run.loaded!.catalogue.rows },
    ]);
    expect(readdirSync(dir).sort()).toEqual(listing);
    expect(report.outputs.map((k) => readFileSync(run.store.path(k)))).toEqual(bytes);
  });
});
