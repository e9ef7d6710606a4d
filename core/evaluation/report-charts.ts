// Charts of an evaluation report, for the dataset card: Vega-Lite specs compiled with
// vega-lite, rendered to SVG by vega's headless view, and rasterised to PNG by resvg.
//
// Three charts:
//   tag-frequency          each tag's share of its category, reference vs each mode
//   tag-count-histograms   share of rows with k tags of each category, reference vs each mode
//   metrics-by-temperature co-occurrence r, mean JS distance and max W1 per temperature run,
//                          one line per mode
//
// Output is deterministic: the SVG carries no timestamps, and the clip-path ids vega numbers
// from a process-wide counter are renumbered per chart. PNG text needs a font: resvg loads the
// system's fonts; where none exist it would draw no text at all, so that is refused with a
// message instead (pass `fontFiles` to use specific fonts).
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflate } from 'node:zlib';
import { renderAsync } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Taxonomy } from '../inputs/index.js';
import { tempPathFor } from '../io/index.js';
import { type EvaluationReport, temperatureLabels } from './evaluation.js';

export type ChartFormat = 'svg' | 'png';

export interface RenderedChart {
  name: string;
  title: string;
  /** Paths relative to `outDir`, per requested format. */
  files: Partial<Record<ChartFormat, string>>;
}

export interface RenderEvaluationChartsParams {
  report: EvaluationReport;
  taxonomy: Taxonomy;
  outDir: string;
  /**
   * Default: both where a font for PNG text exists; SVG only (and `onWarning`) where none does —
   * a run should not fail over a missing font. Asking for `png` explicitly without a font fails.
   */
  formats?: ChartFormat[];
  /** Told why PNGs were left out. */
  onWarning?: (message: string) => void;
  /** Font files for the PNGs, in addition to the system's fonts. */
  fontFiles?: string[];
  /** Where system fonts are looked for (default: the usual folders of Linux, macOS, Windows). */
  fontDirs?: string[];
  /** PNG pixels per SVG unit (default 2, sharp on high-density screens). */
  pngScale?: number;
}

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

/** Renders a Vega-Lite spec to SVG text, with ids renumbered so the output is reproducible. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const ids = new Map<string, string>();
    return svg.replace(/\b(clip|gradient|pattern)(\d+)\b/g, (match, kind: string) => {
      let id = ids.get(match);
      if (!id) {
        id = `${kind}${ids.size + 1}`;
        ids.set(match, id);
      }
      return id;
    });
  } finally {
    view.finalize();
  }
}

const FONT_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  join(homedir(), '.fonts'),
  join(homedir(), '.local/share/fonts'),
  '/Library/Fonts',
  '/System/Library/Fonts',
  'C:\\Windows\\Fonts',
];

function hasFontFile(dir: string, depth = 0): boolean {
  if (depth > 4 || !existsSync(dir)) return false;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.isFile() && ['.ttf', '.otf', '.ttc'].includes(extname(e.name).toLowerCase())) return true;
  }
  return entries.some((e) => e.isDirectory() && hasFontFile(join(dir, e.name), depth + 1));
}

const noFontMessage = (dirs: string[]) =>
  `no font found for PNG charts (looked in ${dirs.join(', ')}); install one (e.g. fonts-dejavu-core) or pass fontFiles`;

/** Whether PNG text can be drawn: font files given, or a font folder holds one. */
export function pngFontAvailable(fontFiles: string[] = [], fontDirs = FONT_DIRS): boolean {
  return fontFiles.length > 0 || fontDirs.some((d) => hasFontFile(d));
}

/**
 * Encodes RGBA pixels as a PNG: rows unfiltered, deflated on libuv's thread pool (resvg's own
 * `asPng` compresses on the main thread, where it cost more than the rendering).
 */
export async function encodePng(width: number, height: number, rgba: Buffer): Promise<Buffer> {
  const stride = width * 4;
  if (rgba.length !== stride * height)
    throw new Error(
      `expected ${stride * height} RGBA bytes for ${width}×${height}, got ${rgba.length}`,
    );
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    rgba.copy(raw, row, y * stride, (y + 1) * stride);
    // resvg's pixels are premultiplied by alpha; PNG stores straight alpha.
    for (let i = row; i < row + stride; i += 4) {
      const a = raw[i + 3];
      if (a === 255 || a === 0) continue;
      for (let c = i; c < i + 3; c++) raw[c] = Math.min(255, Math.round((raw[c] * 255) / a));
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
    return [head, data, crc];
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    ...chunk('IHDR', header),
    ...chunk('IDAT', await deflateAsync(raw, { level: 6 })),
    ...chunk('IEND', Buffer.alloc(0)),
  ]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const deflateAsync = promisify(deflate);

/**
 * Rasterises SVG text to PNG bytes. Rendering runs on libuv's thread pool (resvg's
 * `renderAsync`): charts render in parallel and a worker's other activities keep running.
 */
export async function svgToPng(
  svg: string,
  options: { fontFiles?: string[]; fontDirs?: string[]; scale?: number } = {},
): Promise<Buffer> {
  const fontFiles = options.fontFiles ?? [];
  const fontDirs = options.fontDirs ?? FONT_DIRS;
  if (!pngFontAvailable(fontFiles, fontDirs)) throw new Error(noFontMessage(fontDirs));
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    font: {
      loadSystemFonts: true,
      fontFiles,
      fontDirs: fontDirs.filter((d) => existsSync(d)),
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
    logLevel: 'off',
  });
  return encodePng(image.width, image.height, image.pixels);
}

function writeAtomic(path: string, data: string | Uint8Array) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  writeFileSync(temp, data);
  renameSync(temp, path);
}

/**
 * Renders the report's charts into `outDir` as `<name>.svg` / `<name>.png` (each written to a
 * temp file, then renamed) and lists them with paths relative to `outDir`.
 */
export async function renderEvaluationCharts(
  params: RenderEvaluationChartsParams,
): Promise<RenderedChart[]> {
  let formats = params.formats;
  if (!formats) {
    formats = ['svg'];
    if (pngFontAvailable(params.fontFiles, params.fontDirs)) formats.push('png');
    else
      params.onWarning?.(`${noFontMessage(params.fontDirs ?? FONT_DIRS)}: the charts are SVG only`);
  }
  const rendered: (RenderedChart & { svg: string })[] = [];
  for (const { name, title, spec } of evaluationChartSpecs(params.report, params.taxonomy)) {
    const svg = await renderVegaLiteSvg(spec);
    const files: Partial<Record<ChartFormat, string>> = {};
    if (formats.includes('svg')) {
      files.svg = `${name}.svg`;
      writeAtomic(join(params.outDir, files.svg), svg);
    }
    if (formats.includes('png')) files.png = `${name}.png`;
    rendered.push({ name, title, files, svg });
  }
  // All PNGs at once, each on a thread-pool thread.
  await Promise.all(
    rendered.map(async ({ svg, files }) => {
      if (!files.png) return;
      const png = await svgToPng(svg, {
        fontFiles: params.fontFiles,
        fontDirs: params.fontDirs,
        scale: params.pngScale,
      });
      writeAtomic(join(params.outDir, files.png), png);
    }),
  );
  return rendered.map(({ name, title, files }) => ({ name, title, files }));
}
