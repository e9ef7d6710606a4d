// Concept rows on the demo model: every positive holds its concept, no negative does, a positive
// and its negative ask for the same counts, and rows do not depend on the batch size. Coverage
// candidates (the same conditioning) hold their tag and do not depend on how ranges are cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countSampler, fitCountModel } from '../../../core/counts/index.js';
import {
  generateConceptRows,
  generateCoverageRows,
} from '../../../core/generation/concept-rows.js';
import { clearVaeSessionCache, loadVaeSession } from '../../../core/generation/inference.js';
import type { VaeSession } from '../../../core/generation/vae-session.js';
import {
  loadTaxonomy,
  readTagCorpus,
  type TagCorpus,
  type Taxonomy,
} from '../../../core/inputs/index.js';
import { REPO_ROOT } from '../../helpers/pipeline.js';

let taxonomy: Taxonomy;
let corpus: TagCorpus;
let runner: VaeSession;

beforeAll(async () => {
  taxonomy = loadTaxonomy(`${REPO_ROOT}/data/demo/taxonomy.json`);
  corpus = await readTagCorpus({ path: `${REPO_ROOT}/data/demo/corpus.csv`, taxonomy });
  runner = await loadVaeSession({ packDir: `${REPO_ROOT}/models/demo`, taxonomy });
});
afterAll(() => clearVaeSessionCache());

const params = (concept: number, batchSize: number) => ({
  runner,
  latentDim: runner.meta.latentDim,
  taxonomy,
  seed: 9,
  temperatures: [0.5, 1, 2],
  temperatureMode: 'spread' as const,
  prior: corpus.tags,
  counts: countSampler(
    fitCountModel({ categories: corpus.categories, counts: corpus.counts, rows: corpus.rows }),
  ),
  concept,
  rows: 25,
  batchSize,
});

describe('generateConceptRows', () => {
  it('gives positives with the concept and matched negatives without it', async () => {
    for (const concept of [0, 40, taxonomy.size - 1]) {
      const rows = await generateConceptRows(params(concept, 64));
      expect(rows).toHaveLength(50);
      const positives = rows.filter((r) => r.positive);
      const negatives = rows.filter((r) => !r.positive);
      expect(positives).toHaveLength(25);
      for (const p of positives) expect(p.tags[0]).toBe(concept);
      for (const n of negatives) expect(Array.from(n.tags)).not.toContain(concept);
      // A pair shares its index, temperature and requested counts (same number of tags unless a
      // category ran out of tags, which the demo's do not).
      for (let i = 0; i < 25; i++) {
        const [p, n] = rows.filter((r) => r.index === i);
        expect(p.positive && !n.positive).toBe(true);
        expect(p.temperature).toBe(n.temperature);
        expect(p.temperature).toBe([0.5, 1, 2][i % 3]);
        expect(p.tags.length).toBe(n.tags.length);
      }
    }
  }, 60_000);

  it('does not depend on the batch size', async () => {
    const whole = await generateConceptRows(params(7, 64));
    const small = await generateConceptRows(params(7, 2));
    expect(small.map((r) => Array.from(r.tags))).toEqual(whole.map((r) => Array.from(r.tags)));
  }, 60_000);
});

describe('generateCoverageRows', () => {
  const coverage = (tag: number, from: number, to: number, batchSize: number) => {
    const { concept: _, rows: __, prior: ___, ...common } = params(tag, batchSize);
    return generateCoverageRows({ ...common, tag, from, to });
  };

  it('gives every candidate its tag first (once), at temperature index i mod T', async () => {
    for (const tag of [0, 40, taxonomy.size - 1]) {
      const rows = await coverage(tag, 5, 47, 16);
      expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 42 }, (_, i) => 5 + i));
      for (const row of rows) {
        expect(row.tags[0]).toBe(tag);
        expect(Array.from(row.tags).indexOf(tag, 1)).toBe(-1);
        expect(row.temperatureIndex).toBe(row.index % 3);
        expect(row.temperature).toBe([0.5, 1, 2][row.index % 3]);
        expect(new Set(row.tags).size).toBe(row.tags.length);
      }
      // Conditioned rows differ from one another: ε and counts are each row's own.
      expect(new Set(rows.map((r) => Array.from(r.tags).join())).size).toBeGreaterThan(10);
    }
  }, 60_000);

  it('does not depend on the batch size or on where a range is cut', async () => {
    const tags = (rows: Awaited<ReturnType<typeof coverage>>) =>
      rows.map((r) => [r.index, r.temperatureIndex, ...r.tags]);
    const whole = tags(await coverage(12, 0, 40, 64));
    expect(tags(await coverage(12, 0, 40, 3))).toEqual(whole);
    const cut = [...(await coverage(12, 0, 17, 5)), ...(await coverage(12, 17, 40, 7))];
    expect(tags(cut)).toEqual(whole);
    // Another tag, another stream: different rows.
    expect(tags(await coverage(13, 0, 40, 64)).map((r) => r.slice(3))).not.toEqual(
      whole.map((r) => r.slice(3)),
    );
  }, 60_000);
});
