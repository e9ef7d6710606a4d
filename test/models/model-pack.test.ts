import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { buildTaxonomy } from '../../core/inputs/index.js';
import {
  MODEL_PACK_FORMAT,
  MODEL_PACK_VERSION,
  readModelPackMeta,
  writeModelPack,
} from '../../models/model-pack.js';
import { decodeRow, encodeRow, maxAbsError, randomVaeWeights } from './vae-math.js';

const root = mkdtempSync(join(tmpdir(), 'tagflow-model-pack-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const taxonomy = buildTaxonomy({ tempo: ['slow', 'fast'], mood: ['calm', 'dark', 'happy'] });
const dims = { inputDim: 5, hiddenDim: 7, latentDim: 3 };
const provenance = { kind: 'imported' as const, source: 'toy.pth', sha256: 'ab'.repeat(32) };
let counter = 0;
const freshDir = () => join(root, `pack-${counter++}`);

describe('writeModelPack', () => {
  it('writes encoder.onnx, decoder.onnx and model.json that read back the same', async () => {
    const outDir = freshDir();
    const weights = randomVaeWeights({ ...dims, batchNorm: true }, 3, 1e-3);
    const meta = await writeModelPack({ weights, taxonomy, provenance, outDir });
    expect(readdirSync(outDir).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'model.json']);
    expect(meta).toMatchObject({
      format: MODEL_PACK_FORMAT,
      formatVersion: MODEL_PACK_VERSION,
      ...dims,
      batchNorm: true,
      batchNormEps: 1e-3,
      taxonomy: { hash: taxonomy.hash, categories: taxonomy.json },
      provenance,
    });
    expect(meta.createdWith).toMatch(/^tagflow \d+\.\d+\.\d+/);
    expect(readModelPackMeta(outDir)).toEqual(meta);
    expect(JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8'))).toEqual(meta);
  });

  it('writes ONNX graphs with the contract names, a dynamic batch and the VAE formulas', async () => {
    const outDir = freshDir();
    const weights = randomVaeWeights({ ...dims, batchNorm: false }, 4);
    await writeModelPack({ weights, taxonomy, provenance, outDir });
    const encoder = await ort.InferenceSession.create(join(outDir, 'encoder.onnx'));
    const decoder = await ort.InferenceSession.create(join(outDir, 'decoder.onnx'));
    expect(encoder.inputNames).toEqual(['x']);
    expect(encoder.outputNames).toEqual(['mu', 'logvar']);
    expect(decoder.inputNames).toEqual(['z', 'temperature']);
    expect(decoder.outputNames).toEqual(['probs']);
    for (const n of [1, 4]) {
      const x = Float32Array.from({ length: n * 5 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
      const enc = await encoder.run({ x: new ort.Tensor('float32', x, [n, 5]) });
      expect(enc.mu.dims).toEqual([n, 3]);
      const z = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i + 1));
      const t = Float32Array.from({ length: n }, (_, i) => 0.5 + i);
      const dec = await decoder.run({
        z: new ort.Tensor('float32', z, [n, 3]),
        temperature: new ort.Tensor('float32', t, [n, 1]),
      });
      expect(dec.probs.dims).toEqual([n, 5]);
      for (let r = 0; r < n; r++) {
        const expected = encodeRow(weights, x.subarray(r * 5, r * 5 + 5));
        const mu = (enc.mu.data as Float32Array).subarray(r * 3, r * 3 + 3);
        const logvar = (enc.logvar.data as Float32Array).subarray(r * 3, r * 3 + 3);
        expect(maxAbsError(mu, expected.mu)).toBeLessThan(1e-5);
        expect(maxAbsError(logvar, expected.logvar)).toBeLessThan(1e-5);
        const probs = (dec.probs.data as Float32Array).subarray(r * 5, r * 5 + 5);
        expect(
          maxAbsError(probs, decodeRow(weights, z.subarray(r * 3, r * 3 + 3), t[r])),
        ).toBeLessThan(1e-5);
      }
    }
    await encoder.release();
    await decoder.release();
  });

  it('is deterministic: the same weights give byte-identical files', async () => {
    const weights = randomVaeWeights({ ...dims, batchNorm: true }, 5);
    const a = freshDir();
    const b = freshDir();
    await writeModelPack({ weights, taxonomy, provenance, outDir: a });
    await writeModelPack({ weights, taxonomy, provenance, outDir: b });
    for (const file of ['encoder.onnx', 'decoder.onnx', 'model.json']) {
      expect(readFileSync(join(a, file)).equals(readFileSync(join(b, file)))).toBe(true);
    }
  });

  it('replaces an existing pack and leaves no temp folders behind', async () => {
    const parent = freshDir();
    const outDir = join(parent, 'pack');
    await writeModelPack({
      weights: randomVaeWeights({ ...dims, batchNorm: false }, 6),
      taxonomy,
      provenance,
      outDir,
    });
    const second = await writeModelPack({
      weights: randomVaeWeights({ ...dims, batchNorm: true }, 7),
      taxonomy,
      provenance: { kind: 'trained', corpus: 'sha256:00', epochs: 3 },
      outDir,
    });
    expect(readModelPackMeta(outDir)).toEqual(second);
    expect(second.batchNorm).toBe(true);
    expect(readdirSync(parent)).toEqual(['pack']);
  });

  it('writes into an empty existing folder', async () => {
    const outDir = freshDir();
    mkdirSync(outDir);
    await writeModelPack({
      weights: randomVaeWeights({ ...dims, batchNorm: false }),
      taxonomy,
      provenance,
      outDir,
    });
    expect(readModelPackMeta(outDir).inputDim).toBe(5);
  });

  it('refuses to overwrite a folder or file that is not a model pack', async () => {
    const outDir = freshDir();
    mkdirSync(outDir);
    writeFileSync(join(outDir, 'thesis.tex'), 'precious');
    const weights = randomVaeWeights({ ...dims, batchNorm: false });
    await expect(writeModelPack({ weights, taxonomy, provenance, outDir })).rejects.toThrow(
      `refusing to write a model pack to ${outDir}: it exists and is not a model pack (no model.json with format "tagflow-model-pack"); choose another --out`,
    );
    expect(readdirSync(outDir)).toEqual(['thesis.tex']);
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(writeModelPack({ weights, taxonomy, provenance, outDir: file })).rejects.toThrow(
      /refusing to write a model pack to .*a-file: it exists and is not a model pack/,
    );
  });

  it('refuses weights that do not fit the taxonomy', async () => {
    const weights = randomVaeWeights({ inputDim: 6, hiddenDim: 4, latentDim: 2, batchNorm: false });
    await expect(
      writeModelPack({ weights, taxonomy, provenance, outDir: freshDir() }),
    ).rejects.toThrow(
      `model weights have input dimension 6, but the taxonomy ${taxonomy.hash} has 5 tags`,
    );
  });
});

describe('readModelPackMeta', () => {
  const packWith = async (edit: (dir: string, meta: Record<string, unknown>) => void) => {
    const dir = freshDir();
    await writeModelPack({
      weights: randomVaeWeights({ ...dims, batchNorm: false }),
      taxonomy,
      provenance,
      outDir: dir,
    });
    const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    edit(dir, meta);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(meta));
    return dir;
  };
  const errorOf = (dir: string): string => {
    try {
      readModelPackMeta(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return (err as Error).message;
    }
    throw new Error('expected readModelPackMeta to fail');
  };

  it('names a folder without model.json', () => {
    const dir = freshDir();
    mkdirSync(dir);
    expect(errorOf(dir)).toBe(`model pack ${dir}: has no model.json (is it a model pack folder?)`);
  });

  it('names the file when model.json is not JSON or not a pack', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.json'), '{"format": ');
    expect(errorOf(dir)).toMatch(/^model pack .*model\.json: not valid JSON/);
    const other = await packWith((_, meta) => {
      meta.format = 'something-else';
    });
    expect(errorOf(other)).toMatch(/^model pack .*model\.json: field "format": /);
    const newer = await packWith((_, meta) => {
      meta.formatVersion = MODEL_PACK_VERSION + 1;
    });
    expect(errorOf(newer)).toMatch(/format version 2 is newer than this tagflow supports \(1\)/);
  });

  it('catches a taxonomy whose hash does not match its categories', async () => {
    const dir = await packWith((_, meta) => {
      (meta.taxonomy as { categories: Record<string, string[]> }).categories.mood.reverse();
    });
    expect(errorOf(dir)).toMatch(
      new RegExp(
        `taxonomy\\.hash is ${taxonomy.hash} but its categories hash to sha256:[0-9a-f]{64}$`,
      ),
    );
  });

  it('catches missing, resized and oddly named ONNX files', async () => {
    const missing = await packWith((dir) => rmSync(join(dir, 'decoder.onnx')));
    expect(errorOf(missing)).toBe(`model pack ${missing}: decoder.onnx is missing`);
    const resized = await packWith((dir) => writeFileSync(join(dir, 'encoder.onnx'), 'x'));
    expect(errorOf(resized)).toMatch(/encoder\.onnx has 1 bytes, but model\.json records \d+$/);
    const escaping = await packWith((_, meta) => {
      (meta.files as Record<string, unknown>)['../../etc/passwd'] = {
        sha256: 'a'.repeat(64),
        bytes: 1,
      };
    });
    expect(errorOf(escaping)).toMatch(
      /files lists "\.\.\/\.\.\/etc\/passwd", which is not a plain file name$/,
    );
  });
});
