import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  clearVaeSessionCache,
  GENERATE_PART_ROWS,
  loadVaeSession,
} from '../../../core/generation/inference.js';
import { categoryRanges, TopkRows } from '../../../core/generation/selection.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { RowStream } from '../../../core/rng.js';
import { writeModelPack } from '../../../models/model-pack.js';
import { decodeRow, encodeRow, maxAbsError, randomVaeWeights } from '../../models/vae-math.js';

const root = mkdtempSync(join(tmpdir(), 'tagflow-inference-'));
const taxonomy = buildTaxonomy({ tempo: ['slow', 'fast', 'mid'], mood: ['calm', 'dark', 'happy'] });
const weights = randomVaeWeights({ inputDim: 6, hiddenDim: 10, latentDim: 3, batchNorm: true }, 21);
const packDir = join(root, 'pack');
const provenance = { kind: 'imported' as const, source: 'toy.pth', sha256: '00'.repeat(32) };

beforeAll(async () => {
  await writeModelPack({ weights, taxonomy, provenance, outDir: packDir });
});
afterAll(async () => {
  await clearVaeSessionCache();
  rmSync(root, { recursive: true, force: true });
});

const n = 13;
const x = Float32Array.from({ length: n * 6 }, (_, i) => ((i * 7) % 4 === 0 ? 1 : 0));
const z = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 0.9) * 2);
const temperature = Float32Array.from({ length: n }, (_, i) => 0.4 + 0.3 * i);

describe('loadVaeSession', () => {
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

  it('gives the same numbers on its inference thread as in process, and two calls in flight', async () => {
    const onThread = await loadVaeSession({ packDir, taxonomy, threads: 1, batchSize: 5 });
    const inProcess = await loadVaeSession({
      packDir,
      taxonomy,
      threads: 1,
      batchSize: 5,
      inferenceThreads: 0,
    });
    expect(onThread).not.toBe(inProcess);
    // Views into larger buffers, as generation passes them; both calls in flight at once.
    const zView = new Float32Array(z.length + 9).fill(7).subarray(4, 4 + z.length);
    zView.set(z);
    const [a, b] = await Promise.all([
      onThread.decode(zView, temperature, n),
      onThread.encode(x.subarray(0, 6 * n), n),
    ]);
    expect(Array.from(a)).toEqual(Array.from(await inProcess.decode(z, temperature, n)));
    const c = await inProcess.encode(x, n);
    expect([Array.from(b.mu), Array.from(b.logvar)]).toEqual([
      Array.from(c.mu),
      Array.from(c.logvar),
    ]);
    // The inputs are the caller's still: nothing was handed over to the thread.
    expect(Array.from(zView)).toEqual(Array.from(z));
  });

  it('generates a batch on its inference thread as in process, and as its parts do one by one', async () => {
    const onThread = await loadVaeSession({ packDir, taxonomy, threads: 1, batchSize: 5 });
    const inProcess = await loadVaeSession({
      packDir,
      taxonomy,
      threads: 1,
      batchSize: 5, // 13 rows: model calls of 5 + 5 + 3
      inferenceThreads: 0,
    });
    const whole = await loadVaeSession({ packDir, taxonomy, threads: 1, inferenceThreads: 0 });
    // Each row's stream, a few draws in (as seeded rows are after their seed draws).
    const states = new Int32Array(n * 4);
    const eps = new Float32Array(n * 3);
    for (let r = 0; r < n; r++) {
      const stream = new RowStream({ seed: 5, stage: 3, temperatureIndex: 0, row: r });
      for (let k = 0; k < r % 3; k++) stream.int(7);
      stream.writeState(states, r * 4);
      stream.fillNormal(eps, r * 3, 3);
    }
    const requests = Uint8Array.from({ length: n * 2 }, (_, i) => i % 4);
    // Two seed slots a row, 0, 1 or 2 used, distinct within a row; as views into larger
    // buffers, as generation passes them.
    const seedTags = new Uint16Array(n * 2 + 6).subarray(3, 3 + n * 2);
    seedTags.set(Array.from({ length: n * 2 }, (_, i) => ((i >> 1) * 5 + (i & 1) * 3) % 6));
    const seeds = { tags: seedTags, counts: Uint8Array.from({ length: n }, (_, r) => r % 3), S: 2 };
    const select = { ranges: categoryRanges(taxonomy), requests };
    const common = { n, latentDim: 3, inputDim: 6, temperature, states };
    const packedTopk = (probs: Float32Array, withSeeds: boolean) => {
      const selected = new TopkRows(taxonomy).select({
        probs,
        n,
        requests,
        ...(withSeeds ? { seeds: seeds.tags, seedCounts: seeds.counts, S: 2 } : {}),
      });
      return [Array.from(selected.tags), Array.from(selected.counts)];
    };

    // Latent: z is the rows' normals; probabilities, then tags packed row after row.
    const latentProbs = await whole.decode(eps, temperature, n);
    const latentTags = packedTopk(latentProbs, false);
    expect(latentTags[0].length).toBeGreaterThan(n);
    for (const session of [onThread, inProcess]) {
      const out = await session.generate(common);
      expect('probs' in out && Array.from(out.probs)).toEqual(Array.from(latentProbs));
      const selected = await session.generate({ ...common, select });
      expect(
        'tags' in selected && [Array.from(selected.tags), Array.from(selected.counts)],
      ).toEqual(latentTags);
    }

    // Seeded: z = mu + exp(logvar / 2)·ε, rounded to float32, from the encoder's posterior for
    // the seeds' multi-hot; the seeds are skipped by the selection.
    const seedX = new Float32Array(n * 6);
    for (let r = 0; r < n; r++)
      for (let s = 0; s < seeds.counts[r]; s++) seedX[r * 6 + seeds.tags[r * 2 + s]] = 1;
    const { mu, logvar } = await whole.encode(seedX, n);
    const zSeeded = Float32Array.from(eps, (e, j) => mu[j] + Math.exp(0.5 * logvar[j]) * e);
    const seededProbs = await whole.decode(zSeeded, temperature, n);
    const seededTags = packedTopk(seededProbs, true);
    for (const session of [onThread, inProcess]) {
      const out = await session.generate({ ...common, seeds });
      expect('probs' in out && Array.from(out.probs)).toEqual(Array.from(seededProbs));
      const selected = await session.generate({ ...common, seeds, select });
      expect(
        'tags' in selected && [Array.from(selected.tags), Array.from(selected.counts)],
      ).toEqual(seededTags);
    }
  });

  it('shares a large generate call among its inference threads in parts, with the same result', async () => {
    // More rows than GENERATE_PART_ROWS: the call is cut into parts that run on both threads.
    const rows = Math.ceil(GENERATE_PART_ROWS * 2.3);
    const onThreads = await loadVaeSession({ packDir, taxonomy, threads: 1, inferenceThreads: 2 });
    const inProcess = await loadVaeSession({ packDir, taxonomy, threads: 1, inferenceThreads: 0 });
    const states = new Int32Array(rows * 4);
    for (let r = 0; r < rows; r++)
      new RowStream({ seed: 8, stage: 4, temperatureIndex: 1, row: r }).writeState(states, r * 4);
    const seeds = {
      tags: Uint16Array.from({ length: rows }, (_, r) => r % 6),
      counts: Uint8Array.from({ length: rows }, (_, r) => r % 2),
      S: 1,
    };
    const request = {
      n: rows,
      latentDim: 3,
      inputDim: 6,
      temperature: Float32Array.from({ length: rows }, (_, r) => 0.5 + (r % 7) / 4),
      states,
    };
    const select = {
      ranges: categoryRanges(taxonomy),
      requests: Uint8Array.from({ length: rows * 2 }, (_, i) => (i * 5) % 4),
    };
    for (const variant of [request, { ...request, seeds }]) {
      for (const call of [variant, { ...variant, select }]) {
        const expected = await inProcess.generate(call);
        const shared = await onThreads.generate(call);
        if ('tags' in expected) {
          expect(expected.counts.length).toBe(rows);
          expect('tags' in shared && [Array.from(shared.tags), Array.from(shared.counts)]).toEqual([
            Array.from(expected.tags),
            Array.from(expected.counts),
          ]);
        } else {
          expect(expected.probs.length).toBe(rows * 6);
          expect('probs' in shared && Array.from(shared.probs)).toEqual(Array.from(expected.probs));
        }
      }
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

  it('lets the process exit while its inference thread is idle', () => {
    // A process that loads a session, decodes once and does nothing else must end by itself.
    const script = join(root, 'exits.mts');
    writeFileSync(
      script,
      [
        `import { loadVaeSession } from ${JSON.stringify(join(import.meta.dirname, '../../../core/generation/inference.ts'))};`,
        `const s = await loadVaeSession({ packDir: ${JSON.stringify(packDir)} });`,
        'const p = await s.decode(new Float32Array(3), new Float32Array([1]), 1);',
        'console.log(p.length);',
      ].join('\n'),
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: join(import.meta.dirname, '../../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.error).toBeUndefined();
    expect([result.stdout.trim(), result.status]).toEqual(['6', 0]);
  });

  it('returns empty outputs for zero rows', async () => {
    const session = await loadVaeSession({ packDir });
    const { mu, logvar } = await session.encode(new Float32Array(0), 0);
    expect([mu.length, logvar.length]).toEqual([0, 0]);
    expect((await session.decode(new Float32Array(0), new Float32Array(0), 0)).length).toBe(0);
  });

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
});
