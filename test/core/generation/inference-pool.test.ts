// The inference-thread backend (core/generation/inference-pool.ts) against the in-process one
// (model-backend.ts), on the toy pack: same numbers, parts shared among threads, idle exit.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVaeSession } from '../../../core/generation/inference.js';
import { GENERATE_PART_ROWS } from '../../../core/generation/inference-pool.js';
import { categoryRanges, TopkRows } from '../../../core/generation/selection.js';
import { RowStream } from '../../../core/rng.js';
import { n, taxonomy, temperature, useToyPack, x, z } from './toy-pack.js';

const { root, packDir } = useToyPack();

describe('openOnThreads (sessions on inference threads)', () => {
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
});
