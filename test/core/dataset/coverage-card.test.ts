// The card's account of tag coverage: the provenance line, the topped-up tags, and the tags
// still short with their reasons; and what the rest of the card says once coverage rows are in.
import { describe, expect, it } from 'vitest';
import { coverageMarkdown, coverageRow } from '../../../core/dataset/coverage-card.js';
import { renderDatasetCard } from '../../../core/dataset/dataset-card.js';
import type { CoverageReport } from '../../../core/dataset/tag-coverage.js';

const report: CoverageReport = {
  minRowsPerTag: 1000,
  rounds: 2,
  candidates: 4321,
  rowsAdded: 1234,
  tags: [
    {
      tag: 'beatbox',
      category: 'tempo',
      before: 1,
      added: 999,
      after: 1000,
      candidates: 2100,
      reached: true,
    },
    {
      tag: 'polka | folk',
      category: 'genre',
      before: 10,
      added: 235,
      after: 250,
      candidates: 2221,
      reached: false,
      reason: 'the model repeats the same few tag sets with it: 2221 rows …',
    },
  ],
};

describe('coverageRow', () => {
  it('says how many rows were added and how many tags are still short', () => {
    expect(coverageRow(report)).toEqual([
      'rows added for tag coverage',
      '1,234 (every tag in ≥ 1,000 rows but 1)',
    ]);
    expect(coverageRow({ ...report, tags: [report.tags[0]] })[1]).toBe(
      '1,234 (every tag in ≥ 1,000 rows)',
    );
  });
});

describe('coverageMarkdown', () => {
  it('lists every topped-up tag and gives each unreached one its reason', () => {
    const md = coverageMarkdown(report);
    expect(md).toMatch(/^### Tag coverage\n/);
    expect(md).toContain('After de-duplication 2 tags did not');
    expect(md).toContain('(4,321 generated, 1,234 added in 2 rounds)');
    expect(md).toContain('1 of the 2 tags reached 1,000 rows; 1 did not (below).');
    expect(md).toContain('| beatbox | tempo | 1 | 999 | 1,000 |');
    expect(md).toContain('| polka \\| folk | genre | 10 | 235 | 250 |');
    expect(md).toContain(
      '- **polka | folk** (250 rows): the model repeats the same few tag sets with it: 2221 rows …',
    );
    const none = coverageMarkdown({ ...report, rounds: 0, candidates: 0, rowsAdded: 0, tags: [] });
    expect(none).toContain('After de-duplication 0 tags did not');
    expect(none).toContain('added in 0 rounds). 0 of the 0 tags reached 1,000 rows.');
    expect(none).not.toContain('| tag |');
  });

  it('goes into the card with the coverage mode named, only when the run covered tags', () => {
    const info = {
      name: 'demo',
      runId: 'r',
      seed: 1,
      taxonomy: { hash: 'sha256:abc', categories: ['genre'], tags: 3 },
      model: { provenance: {}, summary: 'VAE.' },
      countModel: { kind: 'fitted', summary: 'Copula.' },
      temperatures: [1],
      rowsGenerated: 10,
      rowsAfterDedupe: 8,
      splits: { train: 8 },
      toolVersion: '1',
    };
    const layout = {
      splits: [{ name: 'train', numExamples: 8, numBytes: 80 }],
      downloadSize: 1,
      categoryColumns: ['genre_tags'],
    };
    const plain = renderDatasetCard(info, layout);
    expect(plain).not.toMatch(/coverage/i);
    const card = renderDatasetCard({ ...info, coverage: report }, layout);
    expect(card).toContain(
      '| rows added for tag coverage | 1,234 (every tag in ≥ 1,000 rows but 1) |',
    );
    expect(card).toContain('### Tag coverage');
    expect(card).toMatch(/`coverage` \(a top-up row for a rare tag\)/);
    expect(card).toContain('empty for latent and coverage rows');
  });
});
