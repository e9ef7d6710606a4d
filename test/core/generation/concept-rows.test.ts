// Concept rows on the demo model: every positive holds its concept, no negative does, a positive
// and its negative ask for the same counts, and rows do not depend on the batch size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countSampler, fitCountModel } from '../../../core/counts/index.js';
import { generateConceptRows } from '../../../core/generation/concept-rows.js';
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
