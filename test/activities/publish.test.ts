import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../activities/evaluate.js';
import { version } from '../../core/version.js';
import { demoRunThrough, inActivity, publishDemoRun } from '../helpers/demo-activities.js';

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe('publish', () => {
  it('publishes the splits to the folder target with a card describing this run and the report', async () => {
    const run = await demoRunThrough('split', { output: { csv: true } });
    await inActivity(evaluate, [{ runId: run.runId, config: run.config }]);
    const summary = await publishDemoRun(run);
    expect(summary.target).toBe(run.config.output.target);
    expect(summary.commit).toBeUndefined();
    const dir = fileURLToPath(summary.target);
    const files = filesUnder(dir).filter((f) => f !== '.tagflow-dataset.json');
    expect(summary.files).toBe(files.length);
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'csv/train.csv',
        'report/metrics.json',
        'data/train-00000-of-00001.parquet',
      ]),
    );
    expect(files.some((f) => f.startsWith('report/charts/'))).toBe(true);

    const card = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(card).toContain(`# ${run.runId}\n`); // the folder's name
    expect(card).toContain(`| run id | \`${run.runId}\` |`);
    expect(card).toContain(`| seed | ${run.config.seed} |`);
    expect(card).toContain(`| tool | tagflow ${version} |`);
    expect(card).toContain('| temperatures | 0.75, 1.5 |');
    expect(card).toContain('Gaussian copula fitted on');
    expect(card).toContain('## Quality evaluation');
    expect(card).toMatch(/\]\(report\/charts\/[^)]+\)/);
    const csvLines = readFileSync(join(dir, 'csv/train.csv'), 'utf8').trim().split('\n');
    expect(csvLines.length - 1).toBe(run.split!.counts.train);
    expect(existsSync(join(dir, '.tagflow-dataset.json'))).toBe(true);
  });
});
