import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVaeSession } from '../../core/generation/index.js';
import { buildTaxonomy, loadTaxonomy } from '../../core/inputs/index.js';
import { demoCorpus } from '../../data/demo/demo-draws.js';
import { DEMO_TAXONOMY } from '../../data/demo/demo-taxonomy.js';
import { vaeWeightsFromStateDict } from '../../models/import-checkpoint.js';
import { readTorchStateDict } from '../../models/torch-checkpoint.js';
import { writeTrainedPack } from '../../models/train-export.js';
import { tfjsVae, trainVae } from '../../models/train-vae.js';
import { conceptcaps } from '../helpers/conceptcaps.js';

const temp = mkdtempSync(join(tmpdir(), 'tagflow-train-export-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const taxonomy = buildTaxonomy(DEMO_TAXONOMY, 'demo taxonomy');
const corpus = demoCorpus().map((row) =>
  Uint16Array.from(
    Object.values(row.tags).flatMap((tags) => tags.map((t) => taxonomy.index.get(t)!)),
  ),
);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function multiHotRows(rows: readonly ArrayLike<number>[], d: number): Float32Array {
  const x = new Float32Array(rows.length * d);
  rows.forEach((row, i) => {
    for (let j = 0; j < row.length; j++) x[i * d + row[j]] = 1;
  });
  return x;
}

describe('a trained model pack', () => {
  it('trains with falling loss, and its ONNX outputs equal the trainer’s own forward pass', async () => {
    const rows = corpus.slice(0, 800);
    const result = await trainVae({
      taxonomy,
      rows,
      config: { hiddenDim: 16, latentDim: 4, maxEpochs: 4, patience: 4, seed: 21 },
    });
    const losses = result.history.map((h) => h.trainLoss);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
    expect(result.history.at(-1)!.valLoss).toBeLessThan(result.history[0].valLoss);

    const outDir = join(temp, 'pack');
    const corpusInfo = {
      source: 'demo corpus (first 800 rows)',
      sha256: 'f'.repeat(64),
      rows: 800,
    };
    await writeTrainedPack({ result, taxonomy, corpus: corpusInfo, outDir });
    const meta = JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8'));
    expect(meta.provenance).toMatchObject({
      kind: 'trained',
      corpus: corpusInfo,
      config: { hiddenDim: 16, latentDim: 4, seed: 21, beta: 0.25, dropout: 0.25 },
      epochs: 4,
      bestEpoch: result.bestEpoch,
      finalLosses: result.finalLosses,
    });
    expect(meta.provenance.finalLosses.validation).toBe(
      result.history[result.bestEpoch - 1].valLoss,
    );

    const session = await loadVaeSession({ packDir: outDir, taxonomy });
    const graph = await tfjsVae({ weights: result.weights });
    try {
      const probe = corpus.slice(2000, 2064);
      const n = probe.length;
      const x = multiHotRows(probe, taxonomy.size);
      const onnx = await session.encode(x, n);
      const ours = graph.encode(x, n);
      expect(maxAbsDiff(onnx.mu, ours.mu)).toBeLessThan(1e-4);
      expect(maxAbsDiff(onnx.logvar, ours.logvar)).toBeLessThan(1e-4);
      // Decode latent points spread around the prior, at several temperatures.
      const z = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 12.9898) * 2);
      const temperature = Float32Array.from({ length: n }, (_, i) => [0.5, 1, 1.5, 2][i % 4]);
      expect(
        maxAbsDiff(await session.decode(z, temperature, n), graph.decode(z, temperature, n)),
      ).toBeLessThan(1e-4);
    } finally {
      graph.dispose();
    }
  });

  it('is byte-identical when the same run is exported twice', async () => {
    const run = () =>
      trainVae({
        taxonomy,
        rows: corpus.slice(0, 300),
        config: { hiddenDim: 8, latentDim: 2, maxEpochs: 2 },
      });
    const corpusInfo = { source: 'x', sha256: '0'.repeat(64), rows: 300 };
    await writeTrainedPack({
      result: await run(),
      taxonomy,
      corpus: corpusInfo,
      outDir: join(temp, 'a'),
    });
    await writeTrainedPack({
      result: await run(),
      taxonomy,
      corpus: corpusInfo,
      outDir: join(temp, 'b'),
    });
    for (const file of ['encoder.onnx', 'decoder.onnx', 'model.json']) {
      expect(readFileSync(join(temp, 'b', file))).toEqual(readFileSync(join(temp, 'a', file)));
    }
  });
});

describe('the trainer’s forward pass', () => {
  it('reproduces PyTorch on the ConceptCaps checkpoint (so its weight layout is PyTorch’s)', async () => {
    const cc = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
    const reference = JSON.parse(readFileSync(conceptcaps('vae_reference.json'), 'utf8')) as {
      inputs: number[][];
      mu: number[][];
      logvar: number[][];
      z: number[][];
      probs: Record<string, number[][]>;
      tolerance: number;
    };
    const path = conceptcaps('vae_final.pth');
    const weights = vaeWeightsFromStateDict({
      tensors: readTorchStateDict(readFileSync(path), path),
      taxonomy: cc,
      where: path,
    });
    const graph = await tfjsVae({ weights });
    try {
      const n = reference.inputs.length;
      const { mu, logvar } = graph.encode(multiHotRows(reference.inputs, cc.size), n);
      expect(maxAbsDiff(mu, reference.mu.flat())).toBeLessThan(reference.tolerance);
      expect(maxAbsDiff(logvar, reference.logvar.flat())).toBeLessThan(reference.tolerance);
      for (const [t, probs] of Object.entries(reference.probs)) {
        const temperature = new Float32Array(n).fill(Number(t));
        const ours = graph.decode(Float32Array.from(reference.z.flat()), temperature, n);
        expect(maxAbsDiff(ours, probs.flat()), `temperature ${t}`).toBeLessThan(
          reference.tolerance,
        );
      }
    } finally {
      graph.dispose();
    }
  });
});
