import { describe, expect, it } from 'vitest';
import { type EvaluationRow, evaluateTagSets } from '../../../core/evaluation/evaluation.js';
import { evaluationMarkdown } from '../../../core/evaluation/evaluation-markdown.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';

// ids: a0 0, a1 1 | b0 2, b1 3
const taxonomy = buildTaxonomy({ a: ['a0', 'a1'], b: ['b0', 'b1'] });
const row = (
  mode: string,
  temperatureIndex: number,
  temperature: number,
  tags: number[],
): EvaluationRow => ({
  mode,
  temperatureIndex,
  temperature,
  tags,
});
const report = evaluateTagSets({
  taxonomy,
  reference: {
    source: 'my|corpus.csv',
    tags: [
      [0, 2],
      [1, 3],
    ],
  },
  rows: [
    row('seeded', 0, 0.5, [0, 2]),
    row('seeded', 0, 0.5, [1, 3]),
    row('seeded', 1, 1, [0]),
    row('seeded', 2, 1, [0, 2]),
    row('latent', 1, 1, [1, 3]),
  ],
});

describe('evaluationMarkdown', () => {
  const md = evaluationMarkdown(
    report,
    [
      { title: 'Tag frequency', files: { png: 'tag-frequency.png', svg: 'tag-frequency.svg' } },
      { title: 'Only vector', files: { svg: 'only vector.svg' } },
    ],
    { chartBase: 'report/charts/' },
  );
  const lines = md.split('\n');

  it('has a headline row for everything, each mode, and each temperature run', () => {
    const tableRows = lines.filter((l) => /^\| (\*\*)?(all|seeded|latent)/.test(l));
    expect(
      tableRows.map((l) =>
        l
          .split('|')
          .slice(1, 3)
          .map((c) => c.trim()),
      ),
    ).toEqual([
      ['**all**', ''],
      ['**seeded**', 'all'],
      ['seeded', '0.5'],
      ['seeded', '1.0 (#2)'],
      ['seeded', '1.0 (#3)'],
      ['**latent**', 'all'],
      ['latent', '1.0 (#2)'],
      // the per-category table
      ['**all**', report.overall.jsByCategory.a.toFixed(3)],
      ['seeded', report.byMode.seeded.jsByCategory.a.toFixed(3)],
      ['latent', report.byMode.latent.jsByCategory.a.toFixed(3)],
    ]);
  });

  it('formats the metrics of a row', () => {
    const m = report.byGroup[0].metrics; // seeded at 0.5: exactly the reference
    const cells = lines
      .find((l) => l.startsWith('| seeded | 0.5 |'))!
      .split('|')
      .slice(3, -1)
      .map((c) => c.trim());
    expect(m.cooccurrenceR).toBeCloseTo(1, 12);
    expect(cells).toEqual([
      '2',
      '1.000',
      '0.000',
      '0.000',
      '1.000',
      '100.0 %',
      '0.0 %',
      '100.0 %',
      '2.00',
    ]);
  });

  it('writes n/a where the correlation is undefined', () => {
    // seeded #3 is the single set {0}: no pair ever co-occurs
    expect(report.byGroup[1].metrics.cooccurrenceR).toBeNull();
    expect(lines.find((l) => l.startsWith('| seeded | 1.0 (#2) |'))).toContain('| n/a |');
  });

  it('escapes the source name and links the charts under chartBase', () => {
    expect(md).toContain('`my\\|corpus.csv`');
    expect(md).toContain(
      '[![Tag frequency](report/charts/tag-frequency.png)](report/charts/tag-frequency.svg)',
    );
    expect(md).toContain('![Only vector](report/charts/only%20vector.svg)');
    expect(md.startsWith('## Quality evaluation\n')).toBe(true);
  });
});

describe('the seeded yardstick section', () => {
  // The reference has neither a1 nor b1, so the random baseline can only draw a0 and b0.
  const withSources = evaluateTagSets({
    taxonomy,
    reference: { source: 'corpus.csv', tags: [[0, 2], [0]] },
    rows: [
      // seed a0, added b0: lift 2·1 / (2·1) = 1; random b0, the same
      { ...row('seeded', 0, 0.5, [0, 2]), source: { row: 0, seedTags: [0], tags: [0, 2] } },
      // seed b0, added a1: unseen; random a0, lift 1, not in the source
      { ...row('seeded', 1, 1, [2, 1]), source: { row: 0, seedTags: [2], tags: [1, 2] } },
      row('latent', 1, 1, [1, 3]),
    ],
  });
  const lines = evaluationMarkdown(withSources, []).split('\n');

  it('has a row for all seeded rows and one per temperature run', () => {
    const header = lines.findIndex((l) => l.startsWith('| temperature | rows | seeds kept |'));
    expect(header).toBeGreaterThan(0);
    expect(lines[header]).toContain('| added-tag lift | random-tag lift |');
    expect(lines.slice(header + 2, header + 5)).toEqual([
      '| **all** | 2 | 100.0 % | 100.0 % | 50.0 % | 1.000 | 1.00 | 1.00 |',
      '| 0.5 | 1 | 100.0 % | 100.0 % | 100.0 % | 1.000 | 1.00 | 1.00 |',
      '| 1.0 | 1 | 100.0 % | 100.0 % | 0.0 % | 1.000 | n/a | 1.00 |',
    ]);
    expect(lines).toContain(
      'Pairs with a tag the reference never has are left out of the lift: 1 of 2 added-tag ' +
        'pairs, 0 of 2 random-tag pairs.',
    );
  });

  it('is left out when the report has no seeded yardstick', () => {
    expect(evaluationMarkdown(report, []).includes('seeds kept')).toBe(false);
  });
});
