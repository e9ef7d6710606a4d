import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type CardLayout,
  cardFeatures,
  type DatasetCardInfo,
  DEFAULT_LICENSE,
  renderDatasetCard,
  sizeCategory,
} from '../../../core/dataset/dataset-card.js';

const info: DatasetCardInfo = {
  name: 'tags | demo',
  runId: 'demo-20240101T000000Z',
  seed: 1234,
  taxonomy: { hash: 'sha256:abc', categories: ['genre', 'mood'], tags: 1234 },
  model: { provenance: { kind: 'demo' }, summary: 'A small VAE.' },
  countModel: { kind: 'fitted', summary: 'Copula.', means: { genre: 1.5, mood: 2 } },
  temperatures: [0.5, 1],
  rowsGenerated: 12_345_678,
  rowsAfterDedupe: 10_000_000,
  splits: { train: 900, validation: 50, test: 50 },
  toolVersion: '9.9.9',
};
const layout: CardLayout = {
  splits: [
    { name: 'train', numExamples: 900, numBytes: 9000 },
    { name: 'validation', numExamples: 50, numBytes: 500 },
    { name: 'test', numExamples: 50, numBytes: 500 },
  ],
  downloadSize: 4321,
  categoryColumns: ['genre_tags', 'mood_tags'],
};

function frontMatter(card: string) {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(card);
  if (!match) throw new Error('no front matter');
  return parseYaml(match[1]);
}

describe('sizeCategory', () => {
  it('puts row counts in the Hub buckets, limits exclusive', () => {
    expect(sizeCategory(0)).toBe('n<1K');
    expect(sizeCategory(999)).toBe('n<1K');
    expect(sizeCategory(1000)).toBe('1K<n<10K');
    expect(sizeCategory(16_043)).toBe('10K<n<100K');
    expect(sizeCategory(999_999_999)).toBe('100M<n<1B');
    expect(sizeCategory(1e12)).toBe('n>1T');
  });

  it('puts datasets in the Hub’s size categories', () => {
    expect([999, 1000, 16_043, 100_000, 28_000_000].map(sizeCategory)).toEqual([
      'n<1K',
      '1K<n<10K',
      '10K<n<100K',
      '100K<n<1M',
      '10M<n<100M',
    ]);
  });
});

describe('renderDatasetCard', () => {
  it('front matter: data files per split, features, sizes and defaults for the Hub', () => {
    const fm = frontMatter(renderDatasetCard(info, layout));
    expect(fm.license).toBe(DEFAULT_LICENSE);
    expect(fm.size_categories).toEqual(['1K<n<10K']);
    expect(fm.configs[0].data_files).toEqual([
      { split: 'train', path: 'data/train-*' },
      { split: 'validation', path: 'data/validation-*' },
      { split: 'test', path: 'data/test-*' },
    ]);
    expect(fm.dataset_info.dataset_size).toBe(10_000);
    expect(fm.dataset_info.download_size).toBe(4321);
    expect(fm.dataset_info.features).toEqual(cardFeatures(['genre_tags', 'mood_tags']));
    expect(fm.dataset_info.features.map((f: { name: string }) => f.name).slice(-2)).toEqual([
      'genre_tags',
      'mood_tags',
    ]);
  });

  it('records run id, seed and counts, with separators and escaped table cells', () => {
    const card = renderDatasetCard(info, layout);
    expect(card).toContain('| run id | `demo-20240101T000000Z` |');
    expect(card).toContain('| seed | 1234 |');
    expect(card).toContain('| rows generated | 12,345,678 |');
    expect(card).toContain('| rows after de-duplication | 10,000,000 (2,345,678 dropped) |');
    expect(card).toContain('1,234 tags');
    expect(card).toContain('| genre | 1.500 |');
    expect(card).toContain('# tags | demo\n');
    const withPipe = renderDatasetCard(
      { ...info, countModel: { ...info.countModel, kind: 'a|b' } },
      layout,
    );
    expect(withPipe).toContain('| count model | a\\|b |');
  });

  it('is the same text for the same input (no timestamps)', () => {
    expect(renderDatasetCard(info, layout)).toBe(renderDatasetCard(structuredClone(info), layout));
    expect(renderDatasetCard({ ...info, seed: 1 }, layout)).not.toBe(
      renderDatasetCard(info, layout),
    );
  });

  it('loads by repo id when published to the Hub, and appends extra sections in order', () => {
    const card = renderDatasetCard(
      {
        ...info,
        repoId: 'me/tags',
        license: 'mit',
        extraSections: [
          { title: 'Evaluation', markdown: 'scores\n' },
          { title: '', markdown: '## Own heading\n\nbody' },
        ],
      },
      layout,
    );
    expect(card).toContain('load_dataset("me/tags")');
    expect(card.indexOf('## Evaluation\n\nscores')).toBeGreaterThan(card.indexOf('## Columns'));
    expect(card.indexOf('## Own heading')).toBeGreaterThan(card.indexOf('## Evaluation'));
    expect(card.indexOf('## License\n\nmit.')).toBeGreaterThan(card.indexOf('## Own heading'));
    expect(frontMatter(card).license).toBe('mit');
    expect(renderDatasetCard(info, layout)).toContain('load_dataset("path/to/tags | demo")');
  });
});
