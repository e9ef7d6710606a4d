import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { evaluationChartSpecs } from '../../../core/evaluation/chart-specs.js';
import { type EvaluationRow, evaluateTagSets } from '../../../core/evaluation/evaluation.js';
import {
  encodePng,
  renderEvaluationCharts,
  renderVegaLiteSvg,
  svgToPng,
} from '../../../core/evaluation/report-charts.js';
import { rowStream, Stage } from '../../../core/rng.js';
import { conceptcapsTaxonomy, readMusiccapsTagSets } from '../../helpers/reference-corpus.js';

const taxonomy = conceptcapsTaxonomy();
const corpus = readMusiccapsTagSets(taxonomy);
const temperatures = [0.5, 1.0, 1.0, 2.0];

// Reference rows with a temperature-dependent share of tags swapped for random ones.
function* rows(): Generator<EvaluationRow> {
  for (const mode of ['seeded', 'latent']) {
    for (let t = 0; t < temperatures.length; t++) {
      for (let r = 0; r < 400; r++) {
        const s = rowStream({ seed: 5, stage: Stage.Selection, temperatureIndex: t, row: r });
        const tags = Array.from(corpus.tags[r], (id) => {
          const range = taxonomy.ranges[taxonomy.tagCategory[id]];
          return s.uniform() < temperatures[t] / 3
            ? range.start + s.int(range.end - range.start)
            : id;
        });
        yield { mode, temperatureIndex: t, temperature: temperatures[t], tags };
      }
    }
  }
}
const report = evaluateTagSets({ taxonomy, reference: corpus, rows: rows() });

const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

describe('renderEvaluationCharts', () => {
  it('writes SVG and PNG files for the three charts, nothing else', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'tagflow-charts-'));
    const charts = await renderEvaluationCharts({ report, taxonomy, outDir: join(outDir, 'c') });
    expect(charts.map((c) => c.name)).toEqual([
      'tag-frequency',
      'tag-count-histograms',
      'metrics-by-temperature',
    ]);
    expect(readdirSync(join(outDir, 'c')).sort()).toEqual(
      charts.flatMap((c) => [c.files.png, c.files.svg]).sort(),
    );
    for (const chart of charts) {
      const svg = readFileSync(join(outDir, 'c', chart.files.svg!), 'utf8');
      const png = readFileSync(join(outDir, 'c', chart.files.png!));
      expect(svg.startsWith('<svg')).toBe(true);
      expect(png.subarray(0, 8)).toEqual(
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      );
      // PNGs are the SVG at twice the size
      const width = Number(/width="(\d+)"/.exec(svg)![1]);
      expect(pngSize(png).width).toBe(width * 2);
    }
    const frequency = readFileSync(join(outDir, 'c', 'tag-frequency.svg'), 'utf8');
    for (const text of ['medium tempo', 'acoustic drums', 'instrument', 'seeded', 'latent']) {
      expect(frequency).toContain(text);
    }
    const byTemperature = readFileSync(join(outDir, 'c', 'metrics-by-temperature.svg'), 'utf8');
    // the repeated temperature 1.0 appears as two runs, labelled with their positions
    expect(byTemperature).toContain('(#2)');
    expect(byTemperature).toContain('(#3)');
  });

  it('renders only the formats asked for', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'tagflow-charts-'));
    const charts = await renderEvaluationCharts({ report, taxonomy, outDir, formats: ['svg'] });
    expect(charts.every((c) => c.files.png === undefined && c.files.svg)).toBe(true);
    expect(readdirSync(outDir).every((f) => f.endsWith('.svg'))).toBe(true);
  });

  it('is deterministic: the same report gives the same bytes', async () => {
    const [spec] = evaluationChartSpecs(report, taxonomy).slice(1);
    const a = await renderVegaLiteSvg(spec.spec);
    const b = await renderVegaLiteSvg(spec.spec);
    expect(a).toBe(b);
    expect((await svgToPng(a)).equals(await svgToPng(b))).toBe(true);
  });

  it('draws the text in PNGs (a font is found)', async () => {
    const spec = evaluationChartSpecs(report, taxonomy)[2].spec;
    const svg = await renderVegaLiteSvg(spec);
    const withoutText = svg.replace(/<text\b[^>]*>[\s\S]*?<\/text>/g, '');
    expect(withoutText.length).toBeLessThan(svg.length);
    const pixels = (s: string) => new Resvg(s, { font: { loadSystemFonts: true } }).render().pixels;
    expect(pixels(svg).equals(pixels(withoutText))).toBe(false);
    // and through svgToPng, whose font settings the charts use
    expect(
      (await svgToPng(svg, { scale: 1 })).equals(await svgToPng(withoutText, { scale: 1 })),
    ).toBe(false);
  });
});

describe('encodePng', () => {
  it('writes a PNG that a real decoder reads back pixel for pixel', async () => {
    // 3×2 pixels, straight RGBA, one half-transparent; resvg hands over premultiplied pixels.
    const straight = [
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
      [255, 255, 255, 255],
      [200, 100, 50, 128],
      [0, 0, 0, 255],
    ];
    const premultiplied = Buffer.from(
      straight.flatMap(([r, g, b, a]) => [
        Math.round((r * a) / 255),
        Math.round((g * a) / 255),
        Math.round((b * a) / 255),
        a,
      ]),
    );
    const png = await encodePng(3, 2, premultiplied);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // resvg decodes it as an <image>; pixels come back premultiplied again.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2"><image width="3" height="2" style="image-rendering:pixelated" href="data:image/png;base64,${png.toString('base64')}"/></svg>`;
    const decoded = new Resvg(svg).render().pixels;
    expect([...decoded]).toEqual([...premultiplied]);
  });

  it('refuses a pixel buffer of the wrong size', async () => {
    await expect(encodePng(2, 2, Buffer.alloc(15))).rejects.toThrow(/expected 16 RGBA bytes/);
  });
});

describe('charts without a font', () => {
  it('are SVG only, with a warning, rather than failing the run', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tagflow-nofont-'));
    const outDir = join(empty, 'charts');
    const warnings: string[] = [];
    const charts = await renderEvaluationCharts({
      report,
      taxonomy,
      outDir,
      fontDirs: [empty],
      onWarning: (m) => warnings.push(m),
    });
    expect(charts.every((c) => c.files.svg && !c.files.png)).toBe(true);
    expect(readdirSync(outDir).filter((f) => f.endsWith('.png'))).toEqual([]);
    expect(warnings.join('\n')).toMatch(/no font found for PNG charts .*SVG only/);
    // Asked for PNGs explicitly, it says why it cannot.
    await expect(
      renderEvaluationCharts({ report, taxonomy, outDir, formats: ['png'], fontDirs: [empty] }),
    ).rejects.toThrow(/no font found/);
  });
});
