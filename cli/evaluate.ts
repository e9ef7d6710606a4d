// `tagflow evaluate <dataset> --reference <corpus> --taxonomy <json>`: the quality report of a
// published dataset folder against a reference corpus (metrics JSON, charts, Markdown).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';

export function evaluateCommand(print: (line: string) => void): Command {
  return new Command('evaluate')
    .description('measure how real a published dataset looks against a reference corpus')
    .argument('<dataset>', 'a published dataset folder (with data/*.parquet)')
    .requiredOption(
      '--reference <corpus>',
      'reference tag corpus (CSV, JSON, JSONL, Parquet or Arrow)',
    )
    .requiredOption('--taxonomy <json>', 'the taxonomy the dataset was made with')
    .option('--out <dir>', 'where the report goes (default ./out/<dataset>-evaluation)')
    .action(
      async (dataset: string, options: { reference: string; taxonomy: string; out?: string }) => {
        // Loaded here: Arrow, Parquet and the charts stay out of every other command's start.
        const { evaluationMarkdown, readPublishedRows, renderEvaluationCharts, TagSetEvaluator } =
          await import('../core/evaluation/index.js');
        const { loadTaxonomy, readTagCorpus } = await import('../core/inputs/index.js');
        const taxonomy = loadTaxonomy(options.taxonomy);
        const corpus = await readTagCorpus({ path: options.reference, taxonomy });
        const evaluator = new TagSetEvaluator({
          taxonomy,
          reference: { source: options.reference, tags: corpus.tags },
        });
        for (const row of await readPublishedRows({ dir: dataset, taxonomy })) evaluator.add(row);
        const report = evaluator.report();
        const out = resolve(options.out ?? join('out', `${basename(resolve(dataset))}-evaluation`));
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(report, null, 2)}\n`);
        const charts = await renderEvaluationCharts({
          report,
          taxonomy,
          outDir: join(out, 'charts'),
          onWarning: (message) => console.error(`warning: ${message}`),
        });
        writeFileSync(
          join(out, 'evaluation.md'),
          evaluationMarkdown(report, charts, { chartBase: 'charts/' }),
        );
        const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
        print('group                 rows   co-occ r  mean JS  max W1  unique  novel');
        const line = (label: string, m: typeof report.overall) =>
          print(
            `${label.padEnd(20)} ${String(m.rows).padStart(6)}  ${fmt(m.cooccurrenceR).padStart(8)}  ${fmt(m.meanJs).padStart(7)}  ${fmt(m.maxW1).padStart(6)}  ${fmt(m.uniqueRatio).padStart(6)}  ${fmt(m.novelty).padStart(5)}`,
          );
        line('overall', report.overall);
        for (const g of report.byGroup) line(`${g.mode} T=${g.temperature}`, g.metrics);
        print(`report: ${out} (metrics.json, evaluation.md, charts/)`);
      },
    );
}
