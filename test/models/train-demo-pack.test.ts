// The committed demo pack (models/demo) is the one the trainer makes from the committed demo
// corpus: it loads with the demo taxonomy, records that corpus's sha256, scores its recorded
// validation loss, and has learned the archetypes the corpus was drawn from.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVaeSession } from '../../core/generation/index.js';
import { loadTaxonomy, readTagCorpus } from '../../core/inputs/index.js';
import { readModelPackMeta } from '../../models/model-pack.js';
import { splitTrainValidation } from '../../models/train-data.js';
import type { TrainedProvenance } from '../../models/train-export.js';
import { evaluateVae } from '../../models/train-metrics.js';

const repo = join(import.meta.dirname, '..', '..');
const packDir = join(repo, 'models', 'demo');
const taxonomy = loadTaxonomy(join(repo, 'data', 'demo', 'taxonomy.json'));

describe('the demo model pack', () => {
  it('was trained on the committed demo corpus and scores the validation loss it records', async () => {
    const meta = readModelPackMeta(packDir);
    const provenance = meta.provenance as unknown as TrainedProvenance;
    expect(provenance.kind).toBe('trained');
    const corpusPath = join(repo, 'data', 'demo', 'corpus.csv');
    const sha = createHash('sha256').update(readFileSync(corpusPath)).digest('hex');
    expect(provenance.corpus.sha256).toBe(sha);

    const corpus = await readTagCorpus({ path: corpusPath, taxonomy });
    const { config } = provenance;
    const { validation } = splitTrainValidation({
      rows: corpus.rows,
      validationFraction: config.validationFraction,
      seed: config.seed,
    });
    expect(validation.length).toBe(provenance.split.validationRows);
    const session = await loadVaeSession({ packDir, taxonomy });
    const losses = await evaluateVae({
      model: session,
      rows: corpus.tags,
      indices: validation,
      inputDim: meta.inputDim,
      latentDim: meta.latentDim,
      beta: config.beta,
      epsilonSeed: config.seed,
    });
    expect(losses.total).toBeCloseTo(provenance.finalLosses.validation, 3);
    expect(losses.reconstruction).toBeCloseTo(provenance.finalLosses.validationReconstruction, 3);
  });

  it('completes a style from one tag as the archetypes do', async () => {
    const session = await loadVaeSession({ packDir, taxonomy });
    const complete = async (tag: string) => {
      const x = new Float32Array(taxonomy.size);
      x[taxonomy.index.get(tag)!] = 1;
      const { mu } = await session.encode(x, 1);
      const probs = await session.decode(mu, Float32Array.of(1), 1);
      return (other: string) => probs[taxonomy.index.get(other)!];
    };
    const metal = await complete('metal');
    expect(metal('distorted guitar')).toBeGreaterThan(10 * metal('acoustic guitar'));
    expect(metal('aggressive')).toBeGreaterThan(10 * metal('peaceful'));
    const ambient = await complete('ambient');
    expect(ambient('synth pads')).toBeGreaterThan(10 * ambient('distorted guitar'));
    expect(ambient('calm') + ambient('peaceful')).toBeGreaterThan(10 * ambient('aggressive'));
    const swing = await complete('swing rhythm');
    expect(swing('jazz')).toBeGreaterThan(10 * swing('techno'));
    expect(swing('upright bass')).toBeGreaterThan(10 * swing('synth bass'));
    const lofi = await complete('lo-fi');
    expect(lofi('electric piano')).toBeGreaterThan(10 * lofi('distorted guitar'));
  });
});
