// The toy model pack the inference specs share (6 tags in two categories, latent size 3), with
// inputs of 13 rows; written to a temporary folder before a spec's tests, removed after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { clearVaeSessionCache } from '../../../core/generation/inference.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { writeModelPack } from '../../../models/model-pack.js';
import { randomVaeWeights } from '../../models/vae-math.js';

export const taxonomy = buildTaxonomy({
  tempo: ['slow', 'fast', 'mid'],
  mood: ['calm', 'dark', 'happy'],
});
export const weights = randomVaeWeights(
  { inputDim: 6, hiddenDim: 10, latentDim: 3, batchNorm: true },
  21,
);
export const provenance = { kind: 'imported' as const, source: 'toy.pth', sha256: '00'.repeat(32) };

export const n = 13;
export const x = Float32Array.from({ length: n * 6 }, (_, i) => ((i * 7) % 4 === 0 ? 1 : 0));
export const z = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 0.9) * 2);
export const temperature = Float32Array.from({ length: n }, (_, i) => 0.4 + 0.3 * i);

/** A temporary folder with the pack at `packDir`, written before the spec's tests. */
export function useToyPack(): { root: string; packDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'tagflow-inference-'));
  const packDir = join(root, 'pack');
  beforeAll(async () => {
    await writeModelPack({ weights, taxonomy, provenance, outDir: packDir });
  });
  afterAll(async () => {
    await clearVaeSessionCache();
    rmSync(root, { recursive: true, force: true });
  });
  return { root, packDir };
}
