// The evaluate stage's work over generated-row files: one streaming pass through the
// deduplicated rows into a TagSetEvaluator, its report, and the report's charts. Plain data in
// and out, so a stage thread can run it (activities/stage-thread.ts).
import type { Taxonomy } from '../inputs/index.js';
import { MODE_NAMES, Mode, scanGeneratedRows } from '../rows/index.js';
import { type EvaluationReport, TagSetEvaluator } from './evaluation.js';
import { type RenderedChart, renderEvaluationCharts } from './report-charts.js';

export interface EvaluateGeneratedRowsParams {
  /** Generated-row Arrow files (any order: the metrics do not depend on it). */
  inputs: string[];
  taxonomy: Taxonomy;
  /** The reference corpus: named by `source` in the report, its rows' tag ids. */
  reference: { source: string; tags: Uint16Array[] };
  /** Keys the seeded yardstick's random baseline, so a rerun reports the same figures. */
  seed: number;
  /** Where the charts go. */
  chartsDir: string;
}

export interface GeneratedRowsEvaluation {
  report: EvaluationReport;
  charts: RenderedChart[];
  /** Why charts were left out (no font for PNG text, say): for the caller's log. */
  warnings: string[];
}

export async function evaluateGeneratedRows(
  params: EvaluateGeneratedRowsParams,
): Promise<GeneratedRowsEvaluation> {
  const { taxonomy } = params;
  const evaluator = new TagSetEvaluator({
    taxonomy,
    reference: params.reference,
    seed: params.seed,
  });
  const tags = new Uint16Array(taxonomy.size);
  for await (const { view } of scanGeneratedRows(params.inputs, { checkOrder: false })) {
    for (let i = 0; i < view.length; i++) {
      const seeds = view.tags('seed_tags', i);
      const generated = view.tags('generated_tags', i);
      tags.set(seeds, 0);
      tags.set(generated, seeds.length);
      const seeded = view.mode[i] === Mode.seeded;
      evaluator.add({
        mode: MODE_NAMES[view.mode[i]],
        temperatureIndex: view.temperatureIndex[i],
        temperature: view.temperature[i],
        tags: tags.subarray(0, seeds.length + generated.length),
        // Seeded rows are also measured against their own source track.
        source: seeded
          ? { row: view.rowIndex[i], seedTags: seeds, tags: view.tags('original_tags', i) }
          : undefined,
      });
    }
  }
  const report = evaluator.report();
  const warnings: string[] = [];
  const charts = await renderEvaluationCharts({
    report,
    taxonomy,
    outDir: params.chartsDir,
    onWarning: (message) => warnings.push(message),
  });
  return { report, charts, warnings };
}
