// `tagflow evaluate` on a published demo dataset: the same numbers the run's own evaluate
// stage computed on the same rows, a table per group, and a report folder.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../activities/evaluate.js';
import { demoRunThrough, inActivity, publishDemoRun } from '../helpers/demo-activities.js';
import { REPO_ROOT, runCli } from '../helpers/pipeline.js';

describe('tagflow evaluate', () => {
  it('reports on a published dataset what the run measured on its rows', async () => {
    const run = await demoRunThrough('split');
    const inRun = await inActivity(evaluate, [{ runId: run.runId, config: run.config }]);
    const published = await publishDemoRun(run);
    const dataset = fileURLToPath(published.target);
    const out = join(run.dir, 'evaluation');
    const result = await runCli([
      'evaluate',
      dataset,
      '--reference',
      join(REPO_ROOT, 'data/demo/corpus.csv'),
      '--taxonomy',
      join(REPO_ROOT, 'data/demo/taxonomy.json'),
      '--out',
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);

    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.overall.rows).toBe(run.deduped!.rowsOut);
    expect(metrics.overall.meanJs).toBeCloseTo(inRun!.overall.meanJs, 12);
    expect(metrics.overall.maxW1).toBeCloseTo(inRun!.overall.maxW1, 12);
    expect(metrics.overall.uniqueRatio).toBeCloseTo(inRun!.overall.uniqueRatio, 12);

    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^group\s+rows\s+co-occ r\s+mean JS\s+max W1\s+unique\s+novel$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^overall\\s+${run.deduped!.rowsOut}\\s+\\S+\\s+${metrics.overall.meanJs.toFixed(3)}\\s`,
      ),
    );
    // Seeded and latent at both demo temperatures.
    for (const group of ['seeded T=0.75', 'latent T=0.75', 'seeded T=1.5', 'latent T=1.5'])
      expect(lines.some((l) => l.startsWith(group))).toBe(true);
    expect(lines.at(-1)).toBe(`report: ${out} (metrics.json, evaluation.md, charts/)`);

    const markdown = readFileSync(join(out, 'evaluation.md'), 'utf8');
    const charts = [...markdown.matchAll(/\]\((charts\/[^)]+)\)/g)].map((m) => m[1]);
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts) expect(existsSync(join(out, chart)), chart).toBe(true);
  });

  it('names a folder that is not a published dataset', async () => {
    const result = await runCli([
      'evaluate',
      join(REPO_ROOT, 'data/demo'),
      '--reference',
      join(REPO_ROOT, 'data/demo/corpus.csv'),
      '--taxonomy',
      join(REPO_ROOT, 'data/demo/taxonomy.json'),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('no data/ folder (is it a published tagflow dataset?)');
  });
});
