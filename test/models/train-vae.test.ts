import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { buildTaxonomy } from '../../core/inputs/index.js';
import { demoCorpus } from '../../data/demo/demo-draws.js';
import { DEMO_TAXONOMY } from '../../data/demo/demo-taxonomy.js';
import { typescriptVae } from '../../models/train-forward.js';
import { evaluateVae } from '../../models/train-metrics.js';
import {
  splitTrainValidation,
  type TrainConfig,
  tfjsVae,
  trainVae,
} from '../../models/train-vae.js';
import { expectedTensorShapes } from '../../models/vae-weights.js';

const taxonomy = buildTaxonomy(DEMO_TAXONOMY, 'demo taxonomy');
const corpus = demoCorpus().map((row) =>
  Uint16Array.from(
    Object.values(row.tags).flatMap((tags) => tags.map((t) => taxonomy.index.get(t)!)),
  ),
);
const tiny: Partial<TrainConfig> = { hiddenDim: 16, latentDim: 4, batchSize: 32, seed: 7 };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('trainVae', () => {
  it('lowers training and validation loss over a few epochs, returning PyTorch-layout weights', async () => {
    const epochs: number[] = [];
    const result = await trainVae({
      taxonomy,
      rows: corpus.slice(0, 600),
      config: { ...tiny, maxEpochs: 4, patience: 4 },
      onProgress: (p) => epochs.push(p.epoch),
    });
    expect(epochs).toEqual([1, 2, 3, 4]);
    const [first, last] = [result.history[0], result.history.at(-1)!];
    expect(last.trainLoss).toBeLessThan(first.trainLoss);
    expect(last.valLoss).toBeLessThan(first.valLoss);
    expect(result.split).toEqual({ trainRows: 540, validationRows: 60 });
    const shapes = Object.fromEntries(
      Object.entries(result.weights.tensors).map(([name, t]) => [name, t.shape]),
    );
    expect(shapes).toEqual(
      expectedTensorShapes({
        inputDim: taxonomy.size,
        hiddenDim: 16,
        latentDim: 4,
        batchNorm: false,
      }),
    );
    for (const t of Object.values(result.weights.tensors)) {
      expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    }
  });

  it('gives identical weights for the same seed and different ones for another seed', async () => {
    const run = (seed: number) =>
      trainVae({ taxonomy, rows: corpus.slice(0, 300), config: { ...tiny, maxEpochs: 2, seed } });
    const [a, b, c] = [await run(11), await run(11), await run(12)];
    for (const name of Object.keys(a.weights.tensors)) {
      expect(Buffer.from(b.weights.tensors[name].data.buffer)).toEqual(
        Buffer.from(a.weights.tensors[name].data.buffer),
      );
    }
    expect(b.history.map((h) => h.valLoss)).toEqual(a.history.map((h) => h.valLoss));
    expect(
      maxAbsDiff(c.weights.tensors['fc1.weight'].data, a.weights.tensors['fc1.weight'].data),
    ).toBeGreaterThan(1e-3);
  });

  it('trains the same model on the CPU backend as on WASM, up to float rounding', async () => {
    const run = (backend: 'wasm' | 'cpu') =>
      trainVae({
        taxonomy,
        rows: corpus.slice(0, 200),
        config: { ...tiny, maxEpochs: 2, backend },
      });
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    expect(cpu.config.backend).toBe('cpu');
    for (const name of Object.keys(wasm.weights.tensors)) {
      expect(
        maxAbsDiff(cpu.weights.tensors[name].data, wasm.weights.tensors[name].data),
        name,
      ).toBeLessThan(1e-4);
    }
    expect(cpu.finalLosses.validation).toBeCloseTo(wasm.finalLosses.validation, 3);
  });

  it('exports weights whose plain PyTorch-layout forward pass matches its own tfjs graph', async () => {
    const result = await trainVae({
      taxonomy,
      rows: corpus.slice(0, 300),
      config: { ...tiny, maxEpochs: 2 },
    });
    const n = 50;
    const x = new Float32Array(n * taxonomy.size);
    corpus.slice(1000, 1000 + n).forEach((row, i) => {
      for (const id of row) x[i * taxonomy.size + id] = 1;
    });
    const reference = typescriptVae(result.weights);
    const graph = await tfjsVae({ weights: result.weights });
    try {
      const ours = graph.encode(x, n);
      const plain = reference.encode(x, n);
      expect(maxAbsDiff(ours.mu, plain.mu)).toBeLessThan(1e-5);
      expect(maxAbsDiff(ours.logvar, plain.logvar)).toBeLessThan(1e-5);
      const temperature = Float32Array.from({ length: n }, (_, i) => [0.5, 1, 2][i % 3]);
      expect(
        maxAbsDiff(
          graph.decode(ours.mu, temperature, n),
          reference.decode(plain.mu, temperature, n),
        ),
      ).toBeLessThan(1e-5);
    } finally {
      graph.dispose();
    }
  });

  it('stops early once validation stops improving and returns the best epoch’s weights', async () => {
    // A small corpus and a roomy model overfit within a few dozen epochs.
    const rows = corpus.slice(0, 120);
    const config = {
      hiddenDim: 64,
      latentDim: 8,
      dropout: 0,
      beta: 0.05,
      learningRate: 1e-2,
      maxEpochs: 80,
      patience: 3,
      seed: 3,
    };
    const result = await trainVae({ taxonomy, rows, config });
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs).toBe(result.bestEpoch + 3);
    expect(result.epochs).toBeLessThan(80);
    const losses = result.history.map((h) => h.valLoss);
    expect(Math.min(...losses)).toBe(losses[result.bestEpoch - 1]);
    const { validation } = splitTrainValidation({
      rows: rows.length,
      validationFraction: 0.1,
      seed: 3,
    });
    const again = await evaluateVae({
      model: typescriptVae(result.weights),
      rows,
      indices: validation,
      inputDim: taxonomy.size,
      latentDim: 8,
      beta: 0.05,
      epsilonSeed: 3,
    });
    expect(again.total).toBeCloseTo(result.finalLosses.validation, 3);
    expect(again.reconstruction).toBeCloseTo(result.finalLosses.validationReconstruction, 3);
  });

  it('rejects with the abort reason when its signal is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const pending = trainVae({
      taxonomy,
      rows: corpus,
      config: { ...tiny, maxEpochs: 50 },
      onBatch: (b) => {
        if (b.epoch === 1 && b.batch === 3) controller.abort(reason);
      },
      signal: controller.signal,
    });
    await expect(pending).rejects.toBe(reason);
  });

  it('refuses bad rows and configs with ValidationError', async () => {
    const bad = (rows: ArrayLike<number>[], config: Partial<TrainConfig> = {}) =>
      trainVae({ taxonomy, rows, config: { ...tiny, maxEpochs: 1, ...config } });
    await expect(bad([[0], [taxonomy.size]])).rejects.toThrow(/row 1: tag id 96 is outside/);
    await expect(bad([[0]])).rejects.toThrow(ValidationError);
    await expect(bad(corpus.slice(0, 10), { dropout: 1 })).rejects.toThrow(
      /dropout must be in \[0, 1\)/,
    );
    await expect(bad(corpus.slice(0, 10), { hiddenDim: 0 })).rejects.toThrow(/hiddenDim/);
    await expect(bad(corpus.slice(0, 10), { validationFraction: 1 })).rejects.toThrow(
      /validationFraction/,
    );
  });
});

describe('splitTrainValidation', () => {
  it('holds out the requested share, disjoint and covering, the same for the same seed', () => {
    const a = splitTrainValidation({ rows: 1000, validationFraction: 0.1, seed: 5 });
    expect(a.validation.length).toBe(100);
    expect(new Set([...a.train, ...a.validation]).size).toBe(1000);
    expect(splitTrainValidation({ rows: 1000, validationFraction: 0.1, seed: 5 })).toEqual(a);
    const other = splitTrainValidation({ rows: 1000, validationFraction: 0.1, seed: 6 });
    expect(other.validation).not.toEqual(a.validation);
  });

  it('keeps most assignments when the corpus grows', () => {
    const small = splitTrainValidation({ rows: 1000, validationFraction: 0.1, seed: 5 });
    const grown = splitTrainValidation({ rows: 1100, validationFraction: 0.1, seed: 5 });
    const kept = [...small.validation].filter((i) => grown.validation.includes(i)).length;
    expect(kept).toBeGreaterThan(85);
  });

  it('keeps at least one row on each side', () => {
    expect(
      splitTrainValidation({ rows: 2, validationFraction: 0.01, seed: 1 }).validation.length,
    ).toBe(1);
    expect(splitTrainValidation({ rows: 2, validationFraction: 0.99, seed: 1 }).train.length).toBe(
      1,
    );
  });
});
