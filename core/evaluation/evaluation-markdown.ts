// The dataset card's evaluation section: headline tables of an evaluation report and its
// charts, as Markdown.
import { type EvaluationReport, type MetricSet, temperatureLabels } from './evaluation.js';
import type { SeededFigures, SeededYardstickReport } from './seeded-yardstick.js';

export interface CardChart {
  title: string;
  files: { png?: string; svg?: string };
}

export interface EvaluationMarkdownParams {
  /** Prefix of the chart paths in the card, e.g. 'report/charts/' (default ''). */
  chartBase?: string;
  /** Heading level of the section title (default 2). */
  headingLevel?: number;
}

function escapeCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function escapeAlt(text: string): string {
  return text.replace(/[[\]\\]/g, (c) => `\\${c}`);
}

function fixed(value: number | null, digits = 3): string {
  return value === null || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function headlineCells(m: MetricSet): string[] {
  return [
    m.rows.toLocaleString('en-US'),
    fixed(m.cooccurrenceR),
    fixed(m.meanJs),
    fixed(m.maxW1),
    `${fixed(m.uniqueRatio)}${m.distinctExact ? '' : ' ≈'}`,
    percent(m.tagCoverage),
    `${percent(m.novelty)}${m.distinctExact ? '' : ' ≈'}`,
    percent(m.copiedRows ?? 0),
    fixed(m.meanTagsPerRow, 2),
  ];
}

function seededCells(f: SeededFigures): string[] {
  const share = (v: number | null) => (v === null ? 'n/a' : percent(v));
  return [
    f.rows.toLocaleString('en-US'),
    percent(f.seedRetention),
    share(f.addedInSource),
    share(f.randomInSource),
    fixed(f.sourceJaccard),
    fixed(f.addedLift?.meanLift ?? null, 2),
    fixed(f.randomLift?.meanLift ?? null, 2),
  ];
}

function table(header: string[], rows: string[][], align: ('l' | 'r')[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header),
    line(align.map((a) => (a === 'r' ? '---:' : ':---'))),
    ...rows.map(line),
  ].join('\n');
}

/** A Markdown section for the dataset card: headline tables, per-category table and charts. */
export function evaluationMarkdown(
  report: EvaluationReport,
  charts: CardChart[],
  params: EvaluationMarkdownParams = {},
): string {
  const base = params.chartBase ?? '';
  const hashes = '#'.repeat(params.headingLevel ?? 2);
  const modes = Object.keys(report.byMode);
  const ref = report.reference;
  const out: string[] = [];

  out.push(`${hashes} Quality evaluation`, '');
  out.push(
    `Generated tag sets compared with the reference corpus \`${escapeCell(ref.source)}\` ` +
      `(${ref.rows.toLocaleString('en-US')} rows, ${ref.meanTagsPerRow.toFixed(2)} tags per row). ` +
      'Co-occurrence r: Pearson correlation of the rates at which each pair of tags appears ' +
      'together (higher is better). Mean JS: Jensen–Shannon distance (base 2) between tag ' +
      'frequencies within each category, averaged over the categories (lower is better). ' +
      'Max W1: the largest per-category Wasserstein-1 distance between tags-per-row ' +
      'histograms, in tags (lower is better). Unique: distinct tag sets per row. Coverage: ' +
      'share of the taxonomy that occurs. Novel: share of the distinct tag sets absent from ' +
      'the reference. Copies: share of rows whose tag set is exactly a reference row’s.',
  );
  out.push('');

  const header = [
    'rows',
    'co-occurrence r',
    'mean JS',
    'max W1',
    'unique',
    'coverage',
    'novel',
    'copies',
    'tags/row',
  ];
  const align: ('l' | 'r')[] = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
  const labels = temperatureLabels(report);
  const rows: string[][] = [['**all**', '', ...headlineCells(report.overall)]];
  for (const mode of modes) {
    rows.push([`**${escapeCell(mode)}**`, 'all', ...headlineCells(report.byMode[mode])]);
    for (const g of report.byGroup.filter((x) => x.mode === mode)) {
      rows.push([escapeCell(mode), labels.get(g.temperatureIndex)!, ...headlineCells(g.metrics)]);
    }
  }
  out.push(table(['mode', 'temperature', ...header], rows, align));
  if (![report.overall, ...Object.values(report.byMode)].every((m) => m.distinctExact)) {
    out.push(
      '',
      '≈: estimated (HyperLogLog, about ±1 %): too many distinct tag sets to count exactly.',
    );
  }
  out.push('');

  const categories = Object.keys(report.overall.jsByCategory);
  const categoryRows = [report.overall, ...modes.map((m) => report.byMode[m])].map((m, i) => [
    i === 0 ? '**all**' : escapeCell(modes[i - 1]),
    ...categories.flatMap((c) => [fixed(m.jsByCategory[c]), fixed(m.w1ByCategory[c])]),
  ]);
  out.push('Per category (JS distance of tag frequencies / W1 distance of tags per row):', '');
  out.push(
    table(
      ['mode', ...categories.flatMap((c) => [`${escapeCell(c)} JS`, `${escapeCell(c)} W1`])],
      categoryRows,
      ['l', ...categories.flatMap(() => ['r', 'r'] as const)],
    ),
  );

  if (report.seeded) out.push('', ...seededSection(report.seeded, labels));

  for (const chart of charts) {
    const image = chart.files.png ?? chart.files.svg;
    if (!image) continue;
    out.push('');
    const img = `![${escapeAlt(chart.title)}](${encodeURI(base + image)})`;
    // Link the image to its vector form when there is one.
    const svg = chart.files.svg && chart.files.png ? encodeURI(base + chart.files.svg) : null;
    out.push(svg ? `[${img}](${svg})` : img);
  }
  out.push('');
  return out.join('\n');
}

/** The seeded yardstick: seeded rows against their own source tracks. */
function seededSection(seeded: SeededYardstickReport, labels: Map<number, string>): string[] {
  const rows = [
    ['**all**', ...seededCells(seeded.overall)],
    ...seeded.byTemperature.map((g) => [
      labels.get(g.temperatureIndex) ?? String(g.temperature),
      ...seededCells(g.figures),
    ]),
  ];
  const out = [
    'Seeded rows against their own source tracks. Seeds kept: share of rows that keep all ' +
      'their seed tags. In source: share of the added (generated) tags that are the source ' +
      'track’s own tags, and the same for random tags drawn in their place from the same ' +
      'categories with the reference’s tag frequencies. Jaccard: of the row’s tags and the ' +
      'track’s. Lift: mean P(a, b) / (P(a)·P(b)) in the reference over all (seed tag, added ' +
      'tag) pairs, and over (seed tag, random tag) pairs; added-tag lift above random-tag lift ' +
      'means the added tags go with their seeds.',
    '',
    table(
      [
        'temperature',
        'rows',
        'seeds kept',
        'added in source',
        'random in source',
        'Jaccard',
        'added-tag lift',
        'random-tag lift',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  ];
  const { addedLift, randomLift } = seeded.overall;
  if (addedLift && randomLift && addedLift.unseenPairs + randomLift.unseenPairs > 0) {
    const unseen = (l: typeof addedLift) =>
      `${l.unseenPairs.toLocaleString('en-US')} of ${(l.pairs + l.unseenPairs).toLocaleString('en-US')}`;
    out.push(
      '',
      `Pairs with a tag the reference never has are left out of the lift: ${unseen(addedLift)} ` +
        `added-tag pairs, ${unseen(randomLift)} random-tag pairs.`,
    );
  }
  return out;
}
