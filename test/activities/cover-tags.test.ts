// The coverage stage on the demo model, its activities called as the workflow calls them: every
// tag reaches minRowsPerTag in the rows split and evaluate read (or is named with a reason),
// top-up rows are new tag sets, a rerun reuses every part and gives the same rows, and the
// published card and report say what was added.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { coverTags, datasetRowKeys } from '../../activities/cover-tags.js';
import { runTaxonomy } from '../../activities/run-inputs.js';
import type { CoverageReport } from '../../core/dataset/index.js';
import { runKey } from '../../core/io/index.js';
import { Mode, scanGeneratedRows } from '../../core/rows/index.js';
import { type CoverageStep, type CoverageSummary, chunkJobBase } from '../../core/run-types.js';
import {
  activities,
  type DemoRun,
  demoRunThrough,
  inActivity,
  publishDemoRun,
} from '../helpers/demo-activities.js';

const MIN_ROWS = 30;

/** The workflow's coverage loop; returns the summary and what each part call reported. */
async function cover(run: DemoRun) {
  const { runId, config } = run;
  const parts: { key: string; reused: boolean }[] = [];
  let step: CoverageStep = await inActivity(coverTags, [{ runId, config, round: 0 }]);
  while (!step.summary) {
    for (const part of step.parts) {
      const job = {
        ...chunkJobBase(runId, config),
        temperatures: config.generation.temperatures,
        part,
      };
      parts.push(await inActivity(activities.generateCoverage, [job]));
    }
    step = await inActivity(coverTags, [{ runId, config, round: step.round + 1 }]);
  }
  return { summary: step.summary, parts };
}

/** Rows per tag and the tag sets of the dataset's rows (dedupe's and the top-ups). */
async function datasetRows(run: DemoRun) {
  const taxonomy = runTaxonomy(run.config.taxonomy);
  const perTag = new Array(taxonomy.size).fill(0);
  const sets: string[] = [];
  let coverage = 0;
  const paths = (await datasetRowKeys(run.store, run.runId, run.config)).map((k) =>
    run.store.path(k),
  );
  for await (const { view } of scanGeneratedRows(paths)) {
    for (let i = 0; i < view.length; i++) {
      const tags = [...view.tags('seed_tags', i), ...view.tags('generated_tags', i)];
      for (const t of new Set(tags)) perTag[t]++;
      sets.push([...new Set(tags)].sort((a, b) => a - b).join());
      if (view.mode[i] === Mode.coverage) {
        coverage++;
        expect(view.sourceId(i)).toBeNull();
        expect(view.tags('seed_tags', i)).toHaveLength(1);
      }
    }
  }
  return { taxonomy, perTag, sets, coverage };
}

describe('coverTags and generateCoverage (demo model)', () => {
  let run: DemoRun;
  let first: { summary: CoverageSummary; parts: { key: string; reused: boolean }[] };

  beforeAll(async () => {
    run = await demoRunThrough('dedupe', {
      generation: {
        temperatures: [0.75, 1.5],
        latent: { rows: 120 },
        chunkRows: 100,
        minRowsPerTag: MIN_ROWS,
      },
    });
    first = await cover(run);
  }, 120_000);

  it('brings every tag to minRowsPerTag with new tag sets, or names it with a reason', async () => {
    const { summary } = first;
    expect(summary.tagsShort).toBeGreaterThan(10);
    expect(summary.rowsAdded).toBeGreaterThan(0);
    const report = await run.store.readJson<CoverageReport>(
      runKey(run.runId, 'coverage/report.json'),
    );
    expect(report.rowsAdded).toBe(summary.rowsAdded);
    const { taxonomy, perTag, sets, coverage } = await datasetRows(run);
    expect(coverage).toBe(summary.rowsAdded);
    expect(sets.length).toBe(run.deduped!.rowsOut + summary.rowsAdded);
    expect(new Set(sets).size).toBe(sets.length);
    const unreached = new Map(summary.unreached.map((t) => [t.tag, t.rows]));
    taxonomy.tags.forEach((tag, j) => {
      if (unreached.has(tag)) expect(perTag[j]).toBe(unreached.get(tag));
      else expect(perTag[j], tag).toBeGreaterThanOrEqual(MIN_ROWS);
    });
    for (const t of report.tags) {
      expect(t.after).toBe(perTag[taxonomy.index.get(t.tag)!]);
      if (!t.reached) expect(t.reason).toMatch(/conditioned on it gave/);
    }
  });

  it('reuses every part on a rerun and gives the same rows', async () => {
    const rowsKey = runKey(run.runId, 'coverage/rows.arrow');
    const before = readFileSync(run.store.path(rowsKey));
    const again = await cover(run);
    expect(again.summary).toEqual(first.summary);
    expect(again.parts.map((p) => p.key)).toEqual(first.parts.map((p) => p.key));
    expect(first.parts.every((p) => !p.reused)).toBe(true);
    expect(again.parts.every((p) => p.reused)).toBe(true);
    expect(readFileSync(run.store.path(rowsKey)).equals(before)).toBe(true);
  }, 120_000);

  it('sends the top-up rows through split and publish, and the card says what was added', async () => {
    const catalogueRows = run.loaded!.catalogue.rows;
    const { runId, config } = run;
    run.split = await inActivity(activities.split, [{ runId, config, catalogueRows }]);
    const { train, validation, test } = run.split.counts;
    expect(train + validation + test).toBe(run.deduped!.rowsOut + first.summary.rowsAdded);
    const published = await publishDemoRun(run);
    const folder = fileURLToPath(published.target);
    const card = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(card).toContain(
      `| rows added for tag coverage | ${first.summary.rowsAdded} (every tag in ≥ ${MIN_ROWS} rows`,
    );
    expect(card).toContain('### Tag coverage');
    const shipped = JSON.parse(readFileSync(join(folder, 'report', 'coverage.json'), 'utf8'));
    expect(shipped.rowsAdded).toBe(first.summary.rowsAdded);
    expect(JSON.stringify(shipped)).not.toContain(run.dir);
  }, 120_000);
});
