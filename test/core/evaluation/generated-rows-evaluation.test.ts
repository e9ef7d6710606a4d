// The evaluate stage's work over generated-row files (core/evaluation/generated-rows-evaluation.ts):
// the same report as the rows fed to the evaluator one by one, and the report's charts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateTagSets } from '../../../core/evaluation/evaluation.js';
import { evaluateGeneratedRows } from '../../../core/evaluation/generated-rows-evaluation.js';
import { MODE_NAMES, Mode } from '../../../core/rows/index.js';
import {
  conceptcapsCatalogue,
  fixtureRows,
  writeFixtureFiles,
} from '../../helpers/generated-rows-fixture.js';
import { conceptcapsTaxonomy, readMusiccapsTagSets } from '../../helpers/reference-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'tagflow-rows-evaluation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evaluateGeneratedRows', () => {
  it('reports what the evaluator says of the same rows, and draws the charts', async () => {
    const taxonomy = conceptcapsTaxonomy();
    const corpus = readMusiccapsTagSets(taxonomy);
    const rows = fixtureRows({
      taxonomy,
      catalogue: conceptcapsCatalogue(taxonomy).slice(0, 300),
      temperatures: [0.5, 1.5],
    });
    const inputs = await writeFixtureFiles(rows, join(dir, 'rows'), { rowsPerFile: 250 });
    const reference = {
      source: 'musiccaps.csv',
      tags: corpus.tags.map((t) => Uint16Array.from(t)),
    };
    const chartsDir = join(dir, 'charts');
    const { report, charts, warnings } = await evaluateGeneratedRows({
      inputs,
      taxonomy,
      reference,
      seed: 3,
      chartsDir,
    });
    const expected = evaluateTagSets({
      taxonomy,
      reference,
      seed: 3,
      rows: rows.map((row) => ({
        mode: MODE_NAMES[row.mode],
        temperatureIndex: row.temperatureIndex,
        temperature: row.temperature,
        tags: [...Array.from(row.seedTags), ...Array.from(row.generatedTags)],
        source:
          row.mode === Mode.seeded
            ? { row: row.rowIndex, seedTags: row.seedTags, tags: row.originalTags }
            : undefined,
      })),
    });
    expect(report).toEqual(expected);
    expect(report.byGroup).toHaveLength(4); // seeded and latent at two temperatures
    expect(report.seeded).toBeDefined();
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts)
      for (const file of Object.values(chart.files))
        expect(existsSync(join(chartsDir, file))).toBe(true);
    // PNGs are left out, with a warning, only where no font exists.
    expect(warnings.length === 0).toBe(charts.every((c) => c.files.png !== undefined));
  });
});
