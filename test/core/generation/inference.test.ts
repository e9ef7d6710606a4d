// Loading model packs (core/generation/inference.ts): pack checks, the session cache, settings
// and the CUDA fallback, on the toy pack.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { clearVaeSessionCache, loadVaeSession } from '../../../core/generation/inference.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { writeModelPack } from '../../../models/model-pack.js';
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
