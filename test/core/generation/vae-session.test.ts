// VaeSession's calls (core/generation/vae-session.ts): batching of encode and decode, and the
// checks of every call against the pack, on the toy pack.
import { describe, expect, it } from 'vitest';
import { loadVaeSession } from '../../../core/generation/inference.js';
import { categoryRanges } from '../../../core/generation/selection.js';
import { decodeRow, encodeRow, maxAbsError } from '../../models/vae-math.js';
import { n, taxonomy, temperature, useToyPack, weights, x, z } from './toy-pack.js';

const { packDir } = useToyPack();

describe('batchedSession (a loaded VaeSession)', () => {
  it('encodes and decodes like the formulas, whatever the batch size', async () => {
    const whole = await loadVaeSession({ packDir, taxonomy, batchSize: 4096 });
    const split = await loadVaeSession({ packDir, taxonomy, batchSize: 4 }); // 4+4+4+1 rows
    const a = await whole.encode(x, n);
    const b = await split.encode(x, n);
    const pa = await whole.decode(z, temperature, n);
    const pb = await split.decode(z, temperature, n);
    expect(maxAbsError(a.mu, b.mu)).toBeLessThan(1e-6);
    expect(maxAbsError(a.logvar, b.logvar)).toBeLessThan(1e-6);
    expect(maxAbsError(pa, pb)).toBeLessThan(1e-6);
    for (let r = 0; r < n; r++) {
      const expected = encodeRow(weights, x.subarray(r * 6, (r + 1) * 6));
      expect(maxAbsError(b.mu.subarray(r * 3, (r + 1) * 3), expected.mu)).toBeLessThan(1e-5);
      expect(maxAbsError(b.logvar.subarray(r * 3, (r + 1) * 3), expected.logvar)).toBeLessThan(
        1e-5,
      );
      const probs = decodeRow(weights, z.subarray(r * 3, (r + 1) * 3), temperature[r]);
      expect(maxAbsError(pb.subarray(r * 6, (r + 1) * 6), probs)).toBeLessThan(1e-5);
    }
  });

  it('refuses a generate request that does not fit the pack', async () => {
    const session = await loadVaeSession({ packDir, taxonomy });
    const request = {
      n: 2,
      latentDim: 3,
      inputDim: 6,
      temperature: Float32Array.of(1, 1),
      states: new Int32Array(8),
    };
    await expect(session.generate({ ...request, latentDim: 4 })).rejects.toThrow(
      'generate: the model pack has 6 tags and latent size 3, the request 6 and 4',
    );
    await expect(session.generate({ ...request, states: new Int32Array(7) })).rejects.toThrow(
      'generate: stream states: expected 2 rows × 4 = 8 values, got 7',
    );
    await expect(
      session.generate({ ...request, temperature: Float32Array.of(1, Number.NaN) }),
    ).rejects.toThrow('generate: temperature of row 1 is NaN; it must be a finite number > 0');
    const seeds = { tags: Uint16Array.of(1, 2, 3, 0), counts: Uint8Array.of(2, 1), S: 2 };
    await expect(
      session.generate({ ...request, seeds: { ...seeds, tags: new Uint16Array(3) } }),
    ).rejects.toThrow('generate: seed tags: expected 2 rows × 2 = 4 values, got 3');
    await expect(
      session.generate({ ...request, seeds: { ...seeds, counts: Uint8Array.of(2, 3) } }),
    ).rejects.toThrow('generate: row 1 has 3 seed tags, more than its 2 slots');
    await expect(
      session.generate({ ...request, seeds: { ...seeds, tags: Uint16Array.of(1, 6, 3, 0) } }),
    ).rejects.toThrow('generate: seed tag 6 of row 0 is not a tag of the model pack (6 tags)');
    await expect(
      session.generate({
        ...request,
        select: { ranges: categoryRanges(taxonomy), requests: new Uint8Array(3) },
      }),
    ).rejects.toThrow('generate: requests: expected 2 rows × 2 = 4 values, got 3');
  });

  it('returns empty outputs for zero rows', async () => {
    const session = await loadVaeSession({ packDir });
    const { mu, logvar } = await session.encode(new Float32Array(0), 0);
    expect([mu.length, logvar.length]).toEqual([0, 0]);
    expect((await session.decode(new Float32Array(0), new Float32Array(0), 0)).length).toBe(0);
  });

  it('refuses inputs of the wrong size and non-positive temperatures', async () => {
    const session = await loadVaeSession({ packDir });
    await expect(session.encode(new Float32Array(11), 2)).rejects.toThrow(
      'encode: expected 2 rows × 6 = 12 values, got 11',
    );
    await expect(session.decode(new Float32Array(6), new Float32Array(1), 2)).rejects.toThrow(
      'decode: expected 2 temperatures, got 1',
    );
    await expect(session.decode(new Float32Array(6), Float32Array.from([1, 0]), 2)).rejects.toThrow(
      'decode: temperature of row 1 is 0; it must be a finite number > 0',
    );
  });
});
