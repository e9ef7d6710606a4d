import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelImportCommand } from '../../cli/model-import.js';
import { clearVaeSessionCache, loadVaeSession } from '../../core/generation/index.js';
import { buildTaxonomy, loadTaxonomy } from '../../core/inputs/index.js';
import { importCheckpoint } from '../../models/import-checkpoint.js';
import { readModelPackMeta } from '../../models/model-pack.js';
import type { VaeWeights } from '../../models/vae-weights.js';
import { conceptcaps } from '../helpers/conceptcaps.js';
import { buildCheckpoint, type TensorSpec } from './torch-writer.js';
import { decodeRow, encodeRow, maxAbsError, randomVaeWeights } from './vae-math.js';

const root = mkdtempSync(join(tmpdir(), 'tagflow-import-'));
afterAll(async () => {
  await clearVaeSessionCache();
  rmSync(root, { recursive: true, force: true });
});
let counter = 0;
const fresh = (name: string) => join(root, `${counter++}-${name}`);

interface Reference {
  inputs: number[][];
  mu: number[][];
  logvar: number[][];
  z: number[][];
  temperatures: number[];
  probs: Record<string, number[][]>;
  tolerance: number;
}

describe('importing the ConceptCaps checkpoint', () => {
  it('yields a pack whose outputs match PyTorch (vae_reference.json) within its tolerance', async () => {
    const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
    const checkpointPath = conceptcaps('vae_final.pth');
    const outDir = fresh('conceptcaps');
    const meta = await importCheckpoint({ checkpointPath, taxonomy, outDir });
    expect(meta).toMatchObject({ inputDim: 200, hiddenDim: 512, latentDim: 128, batchNorm: false });
    expect(meta.provenance).toEqual({
      kind: 'imported',
      source: 'vae_final.pth',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const ref: Reference = JSON.parse(readFileSync(conceptcaps('vae_reference.json'), 'utf8'));
    expect(ref.tolerance).toBe(1e-4);
    const session = await loadVaeSession({ packDir: outDir, taxonomy });
    const n = ref.inputs.length;
    const x = new Float32Array(n * 200);
    ref.inputs.forEach((tags, row) => {
      for (const tag of tags) x[row * 200 + tag] = 1;
    });
    const { mu, logvar } = await session.encode(x, n);
    const errors: Record<string, number> = {
      mu: maxAbsError(mu, ref.mu.flat()),
      logvar: maxAbsError(logvar, ref.logvar.flat()),
    };
    const z = Float32Array.from(ref.z.flat());
    expect(ref.temperatures).toEqual([0.5, 1.0, 2.0]);
    for (const t of ['0.5', '1.0', '2.0']) {
      const probs = await session.decode(z, new Float32Array(n).fill(Number(t)), n);
      errors[`probs@${t}`] = maxAbsError(probs, ref.probs[t].flat());
    }
    console.log('ConceptCaps parity, max abs error:', errors);
    for (const error of Object.values(errors)) expect(error).toBeLessThanOrEqual(ref.tolerance);
  });
});

const smallTaxonomy = buildTaxonomy({
  tempo: ['slow', 'fast'],
  genre: ['rock', 'jazz', 'folk'],
  mood: ['calm', 'dark'],
});
const dims = { inputDim: 7, hiddenDim: 9, latentDim: 4 };

/** A .pth file of these weights, as torch.save(model.state_dict()) would write it. */
function writeCheckpoint(
  weights: VaeWeights,
  edit: (tensors: Record<string, TensorSpec>) => void = () => {},
): string {
  const tensors: Record<string, TensorSpec> = {};
  for (const [name, t] of Object.entries(weights.tensors)) {
    tensors[name] = { shape: t.shape, values: t.data };
    // BatchNorm1d's state_dict carries an int64 step counter after each layer's statistics.
    if (name.endsWith('.running_var')) {
      tensors[name.replace('running_var', 'num_batches_tracked')] = {
        shape: [],
        values: [100],
        storageClass: 'LongStorage',
      };
    }
  }
  edit(tensors);
  const path = fresh('model.pth');
  writeFileSync(path, buildCheckpoint({ tensors }));
  return path;
}

describe('importing built checkpoints', () => {
  it('round-trips a checkpoint with batch-norm layers against the formula evaluated in TypeScript', async () => {
    const weights = randomVaeWeights({ ...dims, batchNorm: true }, 11);
    const checkpointPath = writeCheckpoint(weights);
    const outDir = fresh('bn-pack');
    const meta = await importCheckpoint({ checkpointPath, taxonomy: smallTaxonomy, outDir });
    expect(meta).toMatchObject({ ...dims, batchNorm: true, batchNormEps: 1e-5 });

    const session = await loadVaeSession({ packDir: outDir, taxonomy: smallTaxonomy });
    const n = 6;
    const x = Float32Array.from({ length: n * 7 }, (_, i) => ((i * 5) % 3 === 0 ? 1 : 0));
    const { mu, logvar } = await session.encode(x, n);
    const z = Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(i * 1.7) * 1.5);
    const temperature = Float32Array.from([0.5, 1, 2, 0.75, 1.25, 3]);
    const probs = await session.decode(z, temperature, n);
    let worst = 0;
    for (let r = 0; r < n; r++) {
      const expected = encodeRow(weights, x.subarray(r * 7, (r + 1) * 7));
      worst = Math.max(
        worst,
        maxAbsError(mu.subarray(r * 4, (r + 1) * 4), expected.mu),
        maxAbsError(logvar.subarray(r * 4, (r + 1) * 4), expected.logvar),
        maxAbsError(
          probs.subarray(r * 7, (r + 1) * 7),
          decodeRow(weights, z.subarray(r * 4, (r + 1) * 4), temperature[r]),
        ),
      );
    }
    expect(worst).toBeLessThan(1e-5);
    // Batch norm is really in the graph: dropping it changes the outputs.
    const withoutBn = encodeRow({ ...weights, batchNorm: false }, x.subarray(0, 7));
    expect(maxAbsError(mu.subarray(0, 4), withoutBn.mu)).toBeGreaterThan(1e-3);
  });

  it('imports a checkpoint without batch norm too', async () => {
    const weights = randomVaeWeights({ ...dims, batchNorm: false }, 12);
    const outDir = fresh('plain-pack');
    await importCheckpoint({
      checkpointPath: writeCheckpoint(weights),
      taxonomy: smallTaxonomy,
      outDir,
    });
    const session = await loadVaeSession({ packDir: outDir });
    const z = Float32Array.from([0.1, -0.2, 0.3, 2]);
    const probs = await session.decode(z, Float32Array.from([1.5]), 1);
    expect(maxAbsError(probs, decodeRow(weights, z, 1.5))).toBeLessThan(1e-5);
  });
});

describe('importCheckpoint errors', () => {
  const importError = async (checkpointPath: string, taxonomy = smallTaxonomy): Promise<string> => {
    try {
      await importCheckpoint({ checkpointPath, taxonomy, outDir: fresh('never') });
    } catch (err) {
      expect((err as Error).name).toBe('ValidationError');
      return (err as Error).message;
    }
    throw new Error('expected the import to fail');
  };
  const plain = () => randomVaeWeights({ ...dims, batchNorm: false }, 13);

  it('lists missing tensors', async () => {
    const path = writeCheckpoint(plain(), (t) => {
      delete t['fc3.bias'];
      delete t['fc2_logvar.weight'];
    });
    expect(await importError(path)).toBe(
      `checkpoint ${path}: not a BetaVAE state_dict of the expected layout (missing tensors: fc2_logvar.weight, fc3.bias); expected fc1.weight, fc1.bias, fc2_mu.weight, fc2_mu.bias, fc2_logvar.weight, fc2_logvar.bias, fc3.weight, fc3.bias, fc4.weight, fc4.bias`,
    );
  });

  it('lists unexpected tensors, and missing batch-norm layers when only one is there', async () => {
    const extra = writeCheckpoint(plain(), (t) => {
      t['decoder.extra.weight'] = { shape: [2], values: [1, 2] };
    });
    expect(await importError(extra)).toMatch(
      /\(unexpected tensors: decoder\.extra\.weight\); expected fc1\.weight, /,
    );
    const halfBn = writeCheckpoint(randomVaeWeights({ ...dims, batchNorm: true }), (t) => {
      for (const name of Object.keys(t)) if (name.startsWith('bn2.')) delete t[name];
    });
    expect(await importError(halfBn)).toMatch(
      /\(missing tensors: bn2\.weight, bn2\.bias, bn2\.running_mean, bn2\.running_var\)/,
    );
  });

  it('reports a mismatch with the taxonomy, expected vs found', async () => {
    const path = writeCheckpoint(randomVaeWeights({ ...dims, inputDim: 6, batchNorm: false }));
    expect(await importError(path)).toBe(
      `checkpoint ${path}: the model's input dimension is 6 (fc1.weight [9, 6]), but the taxonomy has 7 tags; expected fc1.weight [9, 7] and fc4.weight [7, 9]`,
    );
  });

  it('reports tensors whose shapes disagree with each other', async () => {
    const path = writeCheckpoint(plain(), (t) => {
      t['fc2_logvar.weight'] = { shape: [5, 9], values: new Float32Array(45) };
    });
    expect(await importError(path)).toBe(
      `checkpoint ${path}: tensor "fc2_logvar.weight" has shape [5, 9], expected [4, 9] (input 7, hidden 9, latent 4)`,
    );
  });

  it('refuses non-float32 tensors, a non-zip file and a missing file', async () => {
    const float64 = writeCheckpoint(plain(), (t) => {
      t['fc1.bias'].storageClass = 'DoubleStorage';
    });
    expect(await importError(float64)).toBe(
      `checkpoint ${float64}: tensor "fc1.bias" has dtype float64 (torch.DoubleStorage); only float32 is supported (convert with model.float() before torch.save)`,
    );
    const text = fresh('notes.pth');
    writeFileSync(text, 'not a checkpoint');
    expect(await importError(text)).toBe(
      `checkpoint ${text}: not a zip archive, so not a PyTorch checkpoint saved by torch.save`,
    );
    const missing = fresh('missing.pth');
    expect(await importError(missing)).toMatch(
      new RegExp(`^checkpoint ${missing}: cannot read it \\(ENOENT`),
    );
  });
});

describe('tagflow model import', () => {
  it('imports and prints a summary', async () => {
    const taxonomyPath = fresh('taxonomy.json');
    writeFileSync(taxonomyPath, JSON.stringify(smallTaxonomy.json));
    const checkpoint = writeCheckpoint(randomVaeWeights({ ...dims, batchNorm: true }, 14));
    const out = fresh('cli-pack');
    const lines: string[] = [];
    await modelImportCommand({ print: (line) => lines.push(line) }).parseAsync(
      [checkpoint, '--taxonomy', taxonomyPath, '--out', out],
      { from: 'user' },
    );
    expect(readModelPackMeta(out).taxonomy.hash).toBe(smallTaxonomy.hash);
    expect(lines[0]).toBe(`imported ${checkpoint} → model pack ${out}`);
    expect(lines[1]).toBe(
      '  dimensions  input 7, hidden 9, latent 4, batch norm yes (eps 0.00001)',
    );
    expect(lines[2]).toBe(`  taxonomy    ${smallTaxonomy.hash} (7 tags in 3 categories)`);
    expect(lines[3]).toMatch(
      /^ {2}files {7}encoder\.onnx \(\d+(\.\d)? (B|KiB)\), decoder\.onnx \(.+\), model\.json$/,
    );
  });

  it('fails with the ValidationError of a bad taxonomy', async () => {
    const checkpoint = writeCheckpoint(randomVaeWeights({ ...dims, batchNorm: false }));
    const command = modelImportCommand({ print: () => {} });
    await expect(
      command.parseAsync([checkpoint, '--taxonomy', fresh('none.json'), '--out', fresh('x')], {
        from: 'user',
      }),
    ).rejects.toThrow(/^taxonomy .*none\.json: cannot read file/);
  });
});
