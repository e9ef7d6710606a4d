// Evaluate (before publish): how real the unique rows look against a reference corpus —
// metrics per mode and temperature, as JSON, charts and a dataset-card section, all kept in
// the run's report folder for publish to ship with the dataset.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { log } from '@temporalio/activity';
import type { RunConfig } from '../core/config.js';
import { evaluationMarkdown } from '../core/evaluation/index.js';
import { runKey } from '../core/io/index.js';
import type { EvaluateSummary } from '../core/run-types.js';
import { datasetRowKeys } from './cover-tags.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore, RUN_FILES, runTagCorpus, runTaxonomy } from './run-inputs.js';
import { runOnStageThread } from './stage-threads.js';

/** Files evaluate leaves in `runs/<id>/report/`, and their paths in the published dataset. */
export const REPORT_FILES = {
  metrics: 'metrics.json',
  markdown: 'evaluation.md',
  charts: 'charts',
  manifest: 'files.json',
  /** Where the report goes in the published dataset. */
  publishedBase: 'report/',
} as const;

/** The reference an evaluation compares with: configured, else the corpus counts were fitted on. */
export function evaluationReference(config: RunConfig): string | undefined {
  return (
    config.evaluate.reference ??
    (config.counts.mode === 'fit' ? config.counts.reference : undefined)
  );
}

export async function evaluate(params: {
  runId: string;
  config: RunConfig;
}): Promise<EvaluateSummary | null> {
  maybeFailAtStart('evaluate');
  const { runId, config } = params;
  const reference = evaluationReference(config);
  if (!reference) return null;
  const store = artifactStore(config.artifacts);
  const taxonomy = runTaxonomy(config.taxonomy);
  const corpus = await runTagCorpus({ path: reference, taxonomy });
  const reportKey = runKey(runId, RUN_FILES.report);
  await store.remove(reportKey);
  const chartsKey = `${reportKey}/${REPORT_FILES.charts}`;
  const inputs = await store.readLocal(await datasetRowKeys(store, runId, config));
  // The pass over the rows, the metrics and the charts on a stage thread: the loop stays free.
  const { report, charts, warnings } = await runOnStageThread('evaluateGeneratedRows', {
    inputs: inputs.paths,
    taxonomy,
    // Named by file name: the report is published and must not carry this machine's paths.
    reference: { source: basename(reference), tags: corpus.tags },
    // Keys the seeded yardstick's random baseline, so a rerun reports the same figures.
    seed: config.seed,
    chartsDir: store.writePath(chartsKey),
  }).finally(inputs.release);
  await store.commit(chartsKey);
  for (const message of warnings) log.warn(message);
  await store.writeJson(`${reportKey}/${REPORT_FILES.metrics}`, report);
  const markdown = evaluationMarkdown(report, charts, {
    chartBase: `${REPORT_FILES.publishedBase}${REPORT_FILES.charts}/`,
  });
  const markdownKey = `${reportKey}/${REPORT_FILES.markdown}`;
  writeFileSync(store.writePath(markdownKey), markdown);
  await store.commit(markdownKey);
  // What publish copies into the dataset, relative to the report folder.
  const files = [
    REPORT_FILES.metrics,
    ...charts.flatMap((c) => Object.values(c.files).map((f) => `${REPORT_FILES.charts}/${f}`)),
  ];
  await store.writeJson(`${reportKey}/${REPORT_FILES.manifest}`, files);
  logActivityEvent({ activity: 'evaluate', event: 'finish' });
  const o = report.overall;
  return {
    reference,
    overall: {
      cooccurrenceR: o.cooccurrenceR,
      meanJs: o.meanJs,
      maxW1: o.maxW1,
      uniqueRatio: o.uniqueRatio,
    },
    reportKey,
  };
}
