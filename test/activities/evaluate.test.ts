import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluationReference, REPORT_FILES } from '../../activities/evaluate.js';
import { NOTEBOOK_COUNTS_CONFIG } from '../../core/config.js';
import type { EvaluationReport } from '../../core/evaluation/index.js';
import { demoRunThrough, inActivity } from '../helpers/demo-activities.js';

describe('evaluate', () => {
  it('compares the unique rows with the corpus counts were fitted on, and keeps a report', async () => {
    const run = await demoRunThrough('dedupe');
    const summary = await inActivity(evaluate, [{ runId: run.runId, config: run.config }]);
    expect(summary).not.toBeNull();
    const reference = run.config.counts.mode === 'fit' ? run.config.counts.reference : '';
    expect(summary!.reference).toBe(reference);
    const { overall } = summary!;
    expect(overall.uniqueRatio).toBeGreaterThan(0);
    expect(overall.uniqueRatio).toBeLessThanOrEqual(1);
    expect(overall.meanJs).toBeGreaterThanOrEqual(0);
    expect(overall.meanJs).toBeLessThanOrEqual(1); // Jensen–Shannon distance, base 2
    expect(overall.maxW1).toBeGreaterThanOrEqual(0);

    const report = (file: string) => run.store.path(`${summary!.reportKey}/${file}`);
    const metrics = JSON.parse(readFileSync(report(REPORT_FILES.metrics), 'utf8'));
    expect(metrics.overall.meanJs).toBe(overall.meanJs);
    const files = JSON.parse(readFileSync(report(REPORT_FILES.manifest), 'utf8')) as string[];
    expect(files[0]).toBe(REPORT_FILES.metrics);
    expect(files.some((f) => f.startsWith('charts/'))).toBe(true);
    for (const f of files) expect(existsSync(report(f)), f).toBe(true);
    // The card section links the charts where publish puts them.
    const markdown = readFileSync(report(REPORT_FILES.markdown), 'utf8');
    const chart = files.find((f) => f.startsWith('charts/'))!;
    expect(markdown).toContain(`report/${chart}`);

    // Seeded rows are also measured against their own source tracks.
    const seeded = metrics.seeded as EvaluationReport['seeded'];
    expect(seeded!.overall.rows).toBe(metrics.byMode.seeded.rows);
    expect(seeded!.overall.seedRetention).toBe(1);
    expect(seeded!.overall.meanSeedTags).toBeGreaterThan(0);
    expect(seeded!.overall.addedLift!.pairs).toBeGreaterThan(0);
    expect(seeded!.overall.randomLift!.pairs).toBeGreaterThan(0);
    expect(seeded!.baselineSeed).toBe(run.config.seed);
    expect(seeded!.byTemperature.map((g) => g.temperature)).toEqual(
      run.config.generation.temperatures,
    );
    expect(markdown).toContain('| temperature | rows | seeds kept |');
  });

  it('has nothing to compare with for explicit count parameters and no evaluate.reference', async () => {
    const run = await demoRunThrough('prepare', { counts: NOTEBOOK_COUNTS_CONFIG });
    expect(evaluationReference(run.config)).toBeUndefined();
    expect(await inActivity(evaluate, [{ runId: run.runId, config: run.config }])).toBeNull();
    const withReference = { ...run.config, evaluate: { enabled: true, reference: '/x.csv' } };
    expect(evaluationReference(withReference)).toBe('/x.csv');
  });
});
