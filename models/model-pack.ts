// Model packs: a folder with encoder.onnx, decoder.onnx and model.json, everything the
// pipeline needs to run a BetaVAE with onnxruntime, tied to the taxonomy it was built for.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { buildTaxonomy, type Taxonomy } from '../core/inputs/index.js';
import { swapFolderInto } from '../core/swap-folder.js';
import { version } from '../core/version.js';
import { buildDecoderOnnx, buildEncoderOnnx } from './onnx-builder.js';
import { expectedTensorShapes, type VaeWeights } from './vae-weights.js';

export const MODEL_PACK_FORMAT = 'tagflow-model-pack';
export const MODEL_PACK_VERSION = 1;
export const MODEL_PACK_META_FILE = 'model.json';
export const ENCODER_FILE = 'encoder.onnx';
export const DECODER_FILE = 'decoder.onnx';

export interface ModelPackMeta {
  format: typeof MODEL_PACK_FORMAT;
  formatVersion: number;
  inputDim: number;
  hiddenDim: number;
  latentDim: number;
  batchNorm: boolean;
  /** Present when `batchNorm` is true. */
  batchNormEps?: number;
  taxonomy: { hash: string; categories: Record<string, string[]> };
  provenance:
    | { kind: 'imported'; source: string; sha256: string }
    | { kind: 'trained'; [k: string]: unknown };
  /** `tagflow <version>`. */
  createdWith: string;
  /** sha256 (hex) and size of each ONNX file, checked when a pack is loaded. */
  files: Record<string, { sha256: string; bytes: number }>;
}

const positiveInt = z.number().int().positive();
const fileEntry = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
const metaSchema = z.object({
  format: z.literal(MODEL_PACK_FORMAT),
  formatVersion: z.number().int().positive(),
  inputDim: positiveInt,
  hiddenDim: positiveInt,
  latentDim: positiveInt,
  batchNorm: z.boolean(),
  batchNormEps: z.number().positive().optional(),
  taxonomy: z.object({ hash: z.string(), categories: z.record(z.string(), z.array(z.string())) }),
  provenance: z.union([
    z.object({ kind: z.literal('imported'), source: z.string(), sha256: z.string() }),
    z.looseObject({ kind: z.literal('trained') }),
  ]),
  createdWith: z.string(),
  files: z.object({ [ENCODER_FILE]: fileEntry, [DECODER_FILE]: fileEntry }).catchall(fileEntry),
});

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkWeights(weights: VaeWeights, taxonomy: Taxonomy): void {
  const expected = expectedTensorShapes(weights);
  for (const [name, shape] of Object.entries(expected)) {
    const tensor = weights.tensors[name];
    if (!tensor) throw new ValidationError(`model weights lack tensor "${name}"`);
    if (
      tensor.shape.join(',') !== shape.join(',') ||
      tensor.data.length !== shape.reduce((a, b) => a * b, 1)
    ) {
      throw new ValidationError(
        `model weights: tensor "${name}" has shape [${tensor.shape.join(', ')}] (${tensor.data.length} values), expected [${shape.join(', ')}]`,
      );
    }
  }
  if (weights.inputDim !== taxonomy.size) {
    throw new ValidationError(
      `model weights have input dimension ${weights.inputDim}, but the taxonomy ${taxonomy.hash} has ${taxonomy.size} tags`,
    );
  }
}

function isModelPack(dir: string): boolean {
  try {
    const meta = JSON.parse(readFileSync(join(dir, MODEL_PACK_META_FILE), 'utf8'));
    return meta?.format === MODEL_PACK_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Writes a model pack to `outDir` and returns its metadata. Atomic: the pack is built in a
 * temp folder beside `outDir` and renamed into place, replacing an existing pack there; a
 * folder that is neither empty nor a pack is never overwritten. Same inputs ⇒ same bytes.
 */
export async function writeModelPack(params: {
  weights: VaeWeights;
  taxonomy: Taxonomy;
  provenance: ModelPackMeta['provenance'];
  outDir: string;
}): Promise<ModelPackMeta> {
  const { weights, taxonomy, provenance } = params;
  const outDir = resolve(params.outDir);
  checkWeights(weights, taxonomy);
  if (existsSync(outDir)) {
    const stat = statSync(outDir);
    if (!stat.isDirectory() || (readdirSync(outDir).length > 0 && !isModelPack(outDir))) {
      throw new ValidationError(
        `refusing to write a model pack to ${params.outDir}: it exists and is not a model pack (no ${MODEL_PACK_META_FILE} with format "${MODEL_PACK_FORMAT}"); choose another --out`,
      );
    }
  }

  const encoder = buildEncoderOnnx(weights);
  const decoder = buildDecoderOnnx(weights);
  const meta: ModelPackMeta = {
    format: MODEL_PACK_FORMAT,
    formatVersion: MODEL_PACK_VERSION,
    inputDim: weights.inputDim,
    hiddenDim: weights.hiddenDim,
    latentDim: weights.latentDim,
    batchNorm: weights.batchNorm,
    ...(weights.batchNorm ? { batchNormEps: weights.batchNormEps } : {}),
    taxonomy: {
      hash: taxonomy.hash,
      categories: Object.fromEntries(
        Object.entries(taxonomy.json).map(([c, tags]) => [c, [...tags]]),
      ),
    },
    provenance,
    createdWith: `tagflow ${version}`,
    files: {
      [ENCODER_FILE]: { sha256: sha256Hex(encoder), bytes: encoder.length },
      [DECODER_FILE]: { sha256: sha256Hex(decoder), bytes: decoder.length },
    },
  };

  mkdirSync(dirname(outDir), { recursive: true });
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const temp = join(dirname(outDir), `.${basename(outDir)}.tmp-${suffix}`);
  const old = join(dirname(outDir), `.${basename(outDir)}.old-${suffix}`);
  try {
    mkdirSync(temp);
    writeFileSync(join(temp, ENCODER_FILE), encoder, { flush: true });
    writeFileSync(join(temp, DECODER_FILE), decoder, { flush: true });
    writeFileSync(join(temp, MODEL_PACK_META_FILE), `${JSON.stringify(meta, null, 2)}\n`, {
      flush: true,
    });
    swapFolderInto(temp, outDir, old);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return meta;
}

/** Reads and validates `<dir>/model.json`, and checks the ONNX files it lists are there. */
export function readModelPackMeta(dir: string): ModelPackMeta {
  const path = join(dir, MODEL_PACK_META_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ValidationError(
      code === 'ENOENT'
        ? `model pack ${dir}: has no ${MODEL_PACK_META_FILE} (is it a model pack folder?)`
        : `model pack ${dir}: cannot read ${MODEL_PACK_META_FILE} (${(err as Error).message})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`model pack ${path}: not valid JSON (${(err as Error).message})`);
  }
  const result = metaSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ValidationError(
      `model pack ${path}: ${issue.path.length ? `field "${issue.path.join('.')}"` : 'content'}: ${issue.message}`,
    );
  }
  const meta = result.data as ModelPackMeta;
  if (meta.formatVersion > MODEL_PACK_VERSION) {
    throw new ValidationError(
      `model pack ${path}: format version ${meta.formatVersion} is newer than this tagflow supports (${MODEL_PACK_VERSION}); upgrade tagflow`,
    );
  }
  const taxonomy = buildTaxonomy(meta.taxonomy.categories, `model pack ${path}: taxonomy`);
  if (taxonomy.hash !== meta.taxonomy.hash) {
    throw new ValidationError(
      `model pack ${path}: taxonomy.hash is ${meta.taxonomy.hash} but its categories hash to ${taxonomy.hash}`,
    );
  }
  if (taxonomy.size !== meta.inputDim) {
    throw new ValidationError(
      `model pack ${path}: inputDim is ${meta.inputDim} but its taxonomy has ${taxonomy.size} tags`,
    );
  }
  if (meta.batchNorm && meta.batchNormEps === undefined) {
    throw new ValidationError(`model pack ${path}: batchNorm is true but batchNormEps is missing`);
  }
  for (const [file, { bytes }] of Object.entries(meta.files)) {
    if (!/^[\w-][\w.-]*$/.test(file)) {
      throw new ValidationError(
        `model pack ${path}: files lists "${file}", which is not a plain file name`,
      );
    }
    const filePath = join(dir, file);
    let size: number;
    try {
      size = statSync(filePath).size;
    } catch {
      throw new ValidationError(`model pack ${dir}: ${file} is missing`);
    }
    if (size !== bytes) {
      throw new ValidationError(
        `model pack ${dir}: ${file} has ${size} bytes, but ${MODEL_PACK_META_FILE} records ${bytes}`,
      );
    }
  }
  return meta;
}

/** The bytes of one of the pack's files, checked against the sha256 in model.json. */
export function readModelPackFile(dir: string, meta: ModelPackMeta, file: string): Uint8Array {
  const entry = meta.files[file];
  if (!entry)
    throw new ValidationError(`model pack ${dir}: ${MODEL_PACK_META_FILE} lists no ${file}`);
  const bytes = readFileSync(join(dir, file));
  const sha = sha256Hex(bytes);
  if (sha !== entry.sha256) {
    throw new ValidationError(
      `model pack ${dir}: ${file} has sha256 ${sha}, but ${MODEL_PACK_META_FILE} records ${entry.sha256} (the file was changed or damaged)`,
    );
  }
  return bytes;
}
