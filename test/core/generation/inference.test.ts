// Loading model packs (core/generation/inference.ts): pack checks, the session cache, settings
// and the CUDA fallback, on the toy pack.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  checkModelPack,
  clearVaeSessionCache,
  loadVaeSession,
} from '../../../core/generation/inference.js';
import { probeModelRuns } from '../../../core/generation/vae-session.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import {
  type ModelPackMeta,
  readModelPackMeta,
  writeModelPack,
} from '../../../models/model-pack.js';
import { decodeRow, encodeRow, maxAbsError, randomVaeWeights } from '../../models/vae-math.js';
import { provenance, taxonomy, temperature, useToyPack, weights, x, z } from './toy-pack.js';

const { root, packDir } = useToyPack();

describe('loadVaeSession', () => {
  it('refuses a pack built for another taxonomy, naming both hashes and sizes', async () => {
    const other = buildTaxonomy({ tempo: ['slow', 'fast'], mood: ['calm', 'dark', 'happy'] });
    await expect(loadVaeSession({ packDir, taxonomy: other })).rejects.toThrow(
      new ValidationError(
        `model pack ${packDir} was built for taxonomy ${taxonomy.hash} (6 tags), but the run's taxonomy is ${other.hash} (5 tags)`,
      ),
    );
    // Same tags in another order are another taxonomy: vector positions would not line up.
    const reordered = buildTaxonomy({
      mood: ['calm', 'dark', 'happy'],
      tempo: ['slow', 'fast', 'mid'],
    });
    await expect(loadVaeSession({ packDir, taxonomy: reordered })).rejects.toThrow(
      `but the run's taxonomy is ${reordered.hash} (6 tags)`,
    );
  });

  it('caches sessions per pack, device, threads and batch size', async () => {
    await clearVaeSessionCache();
    const a = await loadVaeSession({ packDir, threads: 1 });
    expect(await loadVaeSession({ packDir, threads: 1 })).toBe(a);
    expect(await loadVaeSession({ packDir: `${packDir}/`, threads: 1 })).toBe(a);
    expect(await loadVaeSession({ packDir, threads: 2 })).not.toBe(a);
    expect(await loadVaeSession({ packDir, threads: 1, batchSize: 7 })).not.toBe(a);
    await clearVaeSessionCache();
    expect(await loadVaeSession({ packDir, threads: 1 })).not.toBe(a);
  });

  it('loads a pack afresh when it was replaced on disk', async () => {
    const dir = join(root, 'replaced');
    await writeModelPack({ weights, taxonomy, provenance, outDir: dir });
    const first = await loadVaeSession({ packDir: dir });
    const newWeights = randomVaeWeights(
      { inputDim: 6, hiddenDim: 10, latentDim: 3, batchNorm: false },
      22,
    );
    await writeModelPack({ weights: newWeights, taxonomy, provenance, outDir: dir });
    const second = await loadVaeSession({ packDir: dir });
    expect(second).not.toBe(first);
    expect(second.meta.batchNorm).toBe(false);
    const probs = await second.decode(z.subarray(0, 3), temperature.subarray(0, 1), 1);
    expect(
      maxAbsError(probs, decodeRow(newWeights, z.subarray(0, 3), temperature[0])),
    ).toBeLessThan(1e-5);
  });

  it('falls back to CPU with a warning when CUDA is not available', async () => {
    const warnings: string[] = [];
    const session = await loadVaeSession({ packDir, device: 'cuda', log: (m) => warnings.push(m) });
    if (session.device === 'cuda') {
      // A GPU worker with onnxruntime-node's CUDA binaries: no fallback, no warning.
      expect(warnings).toEqual([]);
    } else {
      expect(session.device).toBe('cpu');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(
        /^CUDA inference is unavailable \(.+\); running model pack .+ on CPU\. See README "Model packs"/,
      );
    }
    const { mu } = await session.encode(x.subarray(0, 6), 1);
    expect(maxAbsError(mu, encodeRow(weights, x.subarray(0, 6)).mu)).toBeLessThan(1e-5);
  });

  it('refuses a pack whose ONNX file was altered', async () => {
    const dir = join(root, 'tampered');
    await writeModelPack({ weights, taxonomy, provenance, outDir: dir });
    const bytes = readFileSync(join(dir, 'decoder.onnx'));
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(join(dir, 'decoder.onnx'), bytes);
    await expect(loadVaeSession({ packDir: dir })).rejects.toThrow(
      /^model pack .*tampered: decoder\.onnx has sha256 [0-9a-f]{64}, but model\.json records [0-9a-f]{64} \(the file was changed or damaged\)$/,
    );
  });

  it('refuses a batch size, thread count or inference thread count out of range', async () => {
    await expect(loadVaeSession({ packDir, batchSize: 0 })).rejects.toThrow(
      'inference batch size must be a positive integer, got 0',
    );
    await expect(loadVaeSession({ packDir, threads: 1.5 })).rejects.toThrow(
      'onnxruntime threads (threads) must be a non-negative integer, got 1.5',
    );
    await expect(loadVaeSession({ packDir, inferenceThreads: -1 })).rejects.toThrow(
      'inference threads (inferenceThreads) must be a non-negative integer, got -1',
    );
  });
});

describe('checkModelPack', () => {
  /** A copy of the toy pack with model.json (and maybe its files) changed, re-sealed. */
  async function brokenPack(name: string, change: (dir: string, meta: ModelPackMeta) => void) {
    const dir = join(root, name);
    await writeModelPack({ weights, taxonomy, provenance, outDir: dir });
    const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelPackMeta;
    change(dir, meta);
    for (const file of ['encoder.onnx', 'decoder.onnx']) {
      const bytes = readFileSync(join(dir, file));
      meta.files[file] = {
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
      };
    }
    writeFileSync(join(dir, 'model.json'), JSON.stringify(meta));
    return dir;
  }

  const failure = async (dir: string) => {
    const err = await checkModelPack(dir, readModelPackMeta(dir), taxonomy).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    // loadVaeSession refuses it the same way, so no chunk retries it.
    await expect(loadVaeSession({ packDir: dir })).rejects.toThrow(err.message);
    return err.message as string;
  };

  it('passes a sound pack', async () => {
    await checkModelPack(packDir, readModelPackMeta(packDir), taxonomy);
  });

  it('refuses a model.json whose latent size is not the ONNX files’', async () => {
    const dir = await brokenPack('latent', (_, meta) => {
      meta.latentDim = 5;
    });
    expect(await failure(dir)).toBe(
      `model pack ${dir}: encoder.onnx has output mu of width 3, but model.json's latentDim is 5`,
    );
  });

  it('refuses a truncated decoder re-sealed with a matching checksum', async () => {
    const dir = await brokenPack('truncated', (dir) => {
      const bytes = readFileSync(join(dir, 'decoder.onnx'));
      writeFileSync(join(dir, 'decoder.onnx'), bytes.subarray(0, bytes.length >> 1));
    });
    expect(await failure(dir)).toMatch(
      new RegExp(
        `^model pack ${dir}: onnxruntime cannot load decoder\\.onnx \\(.*protobuf parsing failed.*\\)$`,
      ),
    );
  });

  it('refuses an encoder and a decoder swapped', async () => {
    const dir = await brokenPack('swapped', (dir) => {
      renameSync(join(dir, 'encoder.onnx'), join(dir, 'was-encoder'));
      renameSync(join(dir, 'decoder.onnx'), join(dir, 'encoder.onnx'));
      renameSync(join(dir, 'was-encoder'), join(dir, 'decoder.onnx'));
    });
    expect(await failure(dir)).toBe(
      `model pack ${dir}: encoder.onnx and decoder.onnx are swapped (encoder.onnx takes z, temperature, decoder.onnx takes x)`,
    );
  });

  it('refuses a decoder of another pack (its tag count is not the taxonomy’s)', async () => {
    const other = randomVaeWeights(
      { inputDim: 7, hiddenDim: 10, latentDim: 3, batchNorm: false },
      3,
    );
    const donor = join(root, 'donor');
    await writeModelPack({
      weights: other,
      taxonomy: buildTaxonomy({
        tempo: ['slow', 'fast', 'mid', 'x'],
        mood: ['calm', 'dark', 'happy'],
      }),
      provenance,
      outDir: donor,
    });
    const dir = await brokenPack('mixed', (dir) => {
      writeFileSync(join(dir, 'decoder.onnx'), readFileSync(join(donor, 'decoder.onnx')));
    });
    expect(await failure(dir)).toBe(
      `model pack ${dir}: decoder.onnx has output probs of width 7, but model.json's inputDim is 6`,
    );
  });
});

describe('probeModelRuns', () => {
  const meta = { inputDim: 6, latentDim: 3 } as ModelPackMeta;
  const files = { encoder: 'encoder.onnx', decoder: 'decoder.onnx' };
  const probe = (run: Parameters<typeof probeModelRuns>[3]) =>
    probeModelRuns('/packs/p', meta, files, run).catch((e) => e);
  const good = async (model: 'encoder' | 'decoder'): Promise<Record<string, Float32Array>> =>
    model === 'encoder'
      ? { mu: new Float32Array(3), logvar: new Float32Array(3) }
      : { probs: new Float32Array(6).fill(0.5) };

  it('passes outputs of the sizes model.json gives', async () => {
    expect(await probe(good)).toBeUndefined();
  });

  it('names the file, the probe’s shapes and onnxruntime’s message when a call fails', async () => {
    const err = await probe(async (model) => {
      if (model === 'decoder') {
        throw new Error(
          'Got invalid dimensions for input: z for the following indices\n index: 1 Got: 3 Expected: 4\n Please fix either the inputs/outputs or the model.',
        );
      }
      return good(model);
    });
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(
      'model pack /packs/p: decoder.onnx fails a one-row probe with z 1×3, temperature 1×1 (model.json: inputDim 6, latentDim 3): Got invalid dimensions for input: z for the following indices index: 1 Got: 3 Expected: 4 Please fix either the inputs/outputs or the model.',
    );
  });

  it('refuses outputs that are missing, of another size, or not probabilities', async () => {
    const withOutput = (model: 'encoder' | 'decoder', out: Record<string, Float32Array>) =>
      probe(async (m) => (m === model ? out : good(m)));
    expect((await withOutput('encoder', { mu: new Float32Array(3) })).message).toBe(
      'model pack /packs/p: encoder.onnx gives no "logvar" output (it gives mu)',
    );
    expect(
      (await withOutput('encoder', { mu: new Float32Array(4), logvar: new Float32Array(4) }))
        .message,
    ).toBe(
      "model pack /packs/p: encoder.onnx gives mu of 4 values for one row, but model.json's latentDim is 3",
    );
    expect((await withOutput('decoder', { probs: new Float32Array(6).fill(2) })).message).toBe(
      'model pack /packs/p: decoder.onnx gives probs[0] = 2 for an all-zero row',
    );
  });
});
