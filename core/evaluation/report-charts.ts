// Renders the evaluation report's charts (chart-specs.ts) for the dataset card: Vega-Lite specs
// compiled with vega-lite, rendered to SVG by vega's headless view, and rasterised to PNG by
// resvg. Those three load on first render, so importing core/evaluation stays cheap.
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
import type { TopLevelSpec } from 'vega-lite';
import type { Taxonomy } from '../inputs/index.js';
import { tempPathFor } from '../io/index.js';
import { evaluationChartSpecs } from './chart-specs.js';
import type { EvaluationReport } from './evaluation.js';

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

/** Renders a Vega-Lite spec to SVG text, with ids renumbered so the output is reproducible. */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
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
  const { renderAsync } = await import('@resvg/resvg-js');
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
