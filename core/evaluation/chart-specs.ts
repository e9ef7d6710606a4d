// The evaluation report's charts as Vega-Lite specs (report-charts.ts renders them):
//   tag-frequency          each tag's share of its category, reference vs each mode
//   tag-count-histograms   share of rows with k tags of each category, reference vs each mode
//   metrics-by-temperature co-occurrence r, mean JS distance and max W1 per temperature run,
//                          one line per mode
import type { TopLevelSpec } from 'vega-lite';
import type { Taxonomy } from '../inputs/index.js';
import { type EvaluationReport, temperatureLabels } from './evaluation.js';

const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';
const REFERENCE = 'reference';
const KNOWN_COLORS: Record<string, string> = {
  [REFERENCE]: '#8c8c8c',
  seeded: '#1f77b4',
  latent: '#ff7f0e',
};
const EXTRA_COLORS = ['#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function colorScale(series: string[]) {
  let extra = 0;
  return {
    domain: series,
    range: series.map((s) => KNOWN_COLORS[s] ?? EXTRA_COLORS[extra++ % EXTRA_COLORS.length]),
  };
}

const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 12,
  title: { fontSize: 16, anchor: 'start' as const, offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  header: { labelFontSize: 14, labelFontWeight: 'bold' as const, titleFontSize: 0 },
  legend: { labelFontSize: 12, titleFontSize: 12, orient: 'top' as const },
  view: { stroke: '#d0d0d0' },
};

function tagFrequencySpec(report: EvaluationReport, taxonomy: Taxonomy): TopLevelSpec {
  const modes = Object.keys(report.byMode);
  const series = [REFERENCE, ...modes];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Tag frequency by category',
      subtitle: `share of each tag among the category's tag occurrences; reference: ${report.reference.source}`,
    },
    config: CONFIG,
    vconcat: taxonomy.categories.map((category) => {
      const rows = report.tagFrequencies.filter((f) => f.category === category);
      const values = rows.flatMap((f) => [
        { tag: f.tag, series: REFERENCE, share: f.reference, order: -f.reference },
        ...modes.map((m) => ({ tag: f.tag, series: m, share: f.byMode[m], order: -f.reference })),
      ]);
      return {
        title: { text: category, fontSize: 14 },
        data: { values },
        width: Math.max(300, rows.length * 20),
        height: 170,
        mark: { type: 'bar' as const },
        encoding: {
          x: {
            field: 'tag',
            type: 'nominal' as const,
            title: null,
            sort: { field: 'order', op: 'min' as const },
            axis: { labelAngle: -50, labelLimit: 170 },
          },
          xOffset: { field: 'series', type: 'nominal' as const, sort: series },
          y: {
            field: 'share',
            type: 'quantitative' as const,
            title: 'share',
            axis: { format: '.0%' },
          },
          color: {
            field: 'series',
            type: 'nominal' as const,
            title: null,
            sort: series,
            scale: colorScale(series),
          },
          tooltip: [
            { field: 'tag', type: 'nominal' as const },
            { field: 'series', type: 'nominal' as const },
            { field: 'share', type: 'quantitative' as const, format: '.2%' },
          ],
        },
      };
    }),
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

function countHistogramSpec(report: EvaluationReport): TopLevelSpec {
  const modes = Object.keys(report.byMode);
  const series = [REFERENCE, ...modes];
  const values = report.countHistograms.flatMap((h) =>
    h.reference.flatMap((share, k) => [
      { category: h.category, count: k, series: REFERENCE, share },
      ...modes.map((m) => ({ category: h.category, count: k, series: m, share: h.byMode[m][k] })),
    ]),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Tags per row, by category',
      subtitle: 'share of rows with k tags of the category',
    },
    config: CONFIG,
    data: { values },
    facet: {
      field: 'category',
      type: 'nominal',
      sort: report.countHistograms.map((h) => h.category),
      title: null,
    },
    columns: 2,
    spec: {
      width: 380,
      height: 200,
      mark: { type: 'bar' },
      encoding: {
        x: {
          field: 'count',
          type: 'ordinal',
          title: 'tags in the category',
          axis: { labelAngle: 0 },
        },
        xOffset: { field: 'series', type: 'nominal', sort: series },
        y: {
          field: 'share',
          type: 'quantitative',
          title: 'share of rows',
          axis: { format: '.0%' },
        },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          sort: series,
          scale: colorScale(series),
        },
        tooltip: [
          { field: 'category', type: 'nominal' },
          { field: 'count', type: 'ordinal' },
          { field: 'series', type: 'nominal' },
          { field: 'share', type: 'quantitative', format: '.2%' },
        ],
      },
    },
  } as TopLevelSpec;
}

const TEMPERATURE_METRICS = [
  { key: 'cooccurrenceR', title: 'co-occurrence r (higher is better)' },
  { key: 'meanJs', title: 'mean JS distance (lower is better)' },
  { key: 'maxW1', title: 'max W1, tags per row (lower is better)' },
] as const;

function metricsByTemperatureSpec(report: EvaluationReport): TopLevelSpec {
  const modes = Object.keys(report.byMode);
  const labels = temperatureLabels(report);
  const order = [...labels.entries()].sort((a, b) => a[0] - b[0]).map(([, label]) => label);
  const values = report.byGroup.flatMap((g) =>
    TEMPERATURE_METRICS.flatMap((m) => {
      const value = g.metrics[m.key];
      return value === null
        ? []
        : [{ mode: g.mode, temperature: labels.get(g.temperatureIndex), metric: m.title, value }];
    }),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Metrics by temperature',
      subtitle: `each temperature run against the reference (${report.reference.source})`,
    },
    config: CONFIG,
    data: { values },
    facet: {
      field: 'metric',
      type: 'nominal',
      sort: TEMPERATURE_METRICS.map((m) => m.title),
      title: null,
    },
    columns: 3,
    spec: {
      width: 260,
      height: 200,
      mark: { type: 'line', point: { size: 50 }, strokeWidth: 2 },
      encoding: {
        x: {
          field: 'temperature',
          type: 'ordinal',
          sort: order,
          title: 'temperature',
          // A repeated temperature's "1.0 (#3)" goes on two lines.
          axis: { labelAngle: 0, labelExpr: "split(datum.label, ' ')" },
        },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: {
          field: 'mode',
          type: 'nominal',
          title: null,
          sort: modes,
          scale: colorScale(modes),
        },
        tooltip: [
          { field: 'mode', type: 'nominal' },
          { field: 'temperature', type: 'ordinal' },
          { field: 'value', type: 'quantitative', format: '.3f' },
        ],
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** The charts' Vega-Lite specs, by file name (without extension). */
export function evaluationChartSpecs(
  report: EvaluationReport,
  taxonomy: Taxonomy,
): { name: string; title: string; spec: TopLevelSpec }[] {
  return [
    {
      name: 'tag-frequency',
      title: 'Tag frequency by category',
      spec: tagFrequencySpec(report, taxonomy),
    },
    {
      name: 'tag-count-histograms',
      title: 'Tags per row, by category',
      spec: countHistogramSpec(report),
    },
    {
      name: 'metrics-by-temperature',
      title: 'Metrics by temperature',
      spec: metricsByTemperatureSpec(report),
    },
  ];
}
