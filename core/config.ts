// The run configuration: one YAML or JSON file, validated with zod. Errors name the file and
// the bad field (`generation.temperatures[2]: must be > 0`). Paths in the file are relative to
// the file's folder; `resolveRunConfig` makes them absolute before a run is submitted, since
// workers may run in other working directories.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  applyPreset,
  DEFAULT_CHECKPOINT_SECONDS,
  isRecord,
  MAX_LATENT_ROWS,
  MAX_MIN_ROWS_PER_TAG,
  MAX_TEMPERATURE,
  MIN_TEMPERATURE,
  NOTEBOOK_TEMPERATURES,
  PRESETS,
} from './config-defaults.js';
import { countParamsIssues } from './counts/index.js';
import { ValidationError } from './errors.js';
import { MAX_CHUNK_ROWS, MAX_CHUNKS_PER_TEMPERATURE } from './plan.js';
import { isS3Url, s3UrlProblem } from './s3-url.js';

export * from './config-defaults.js';

const path = z.string().min(1, 'must be a non-empty path');

/** A malformed s3:// URL (bucket name, prefix) as a zod issue. */
function s3UrlIssue(value: string, ctx: z.RefinementCtx): void {
  const message = s3UrlProblem(value);
  if (message) ctx.addIssue({ code: 'custom', message });
}
const ratio = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const positiveInt = z.number().int('must be a whole number').positive('must be > 0');

const CountsSchema = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('fit'),
      /** Reference corpus the marginals and correlation are fitted on. */
      reference: path,
      tagColumns: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  z
    .object({
      mode: z.literal('params'),
      means: z.record(z.string(), z.number().positive('must be > 0')),
      variances: z.record(z.string(), z.number().positive('must be > 0')),
      maxCounts: z.record(z.string(), positiveInt),
      correlation: z.array(z.array(z.number().min(-1).max(1))),
    })
    .strict(),
]);

export const RunConfigSchema = z
  .object({
    /** Names the run: the workflow id, the run folder and the default output folder derive from it. */
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
        'must be 1–100 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
      ),
    seed: z.number().int('must be a whole number').min(0).max(Number.MAX_SAFE_INTEGER).default(42),
    taxonomy: path,
    catalogue: z
      .object({
        path,
        idColumn: z.string().min(1).default('id'),
        /** `{category: column}`; null: the catalogue has no column for that category. */
        tagColumns: z.record(z.string(), z.string().nullable()).optional(),
        unknownTags: z.enum(['error', 'drop']).default('error'),
      })
      .strict(),
    counts: CountsSchema,
    model: z.object({ pack: path }).strict(),
    train: z
      .object({
        enabled: z.boolean().default(false),
        /** Training corpus (default: the count model's reference corpus). */
        corpus: path.optional(),
        /** Trainer settings (hiddenDim, latentDim, maxEpochs, …); see `tagflow model train --help`. */
        config: z.record(z.string(), z.number()).default({}),
      })
      .strict()
      .default({ enabled: false, config: {} }),
    /** Which generation settings unset fields take: tagflow's measured best, or the notebook's. */
    preset: z
      .enum(['tagflow', 'notebook'], {
        error: (issue) => `must be "tagflow" or "notebook", got ${JSON.stringify(issue.input)}`,
      })
      .default('tagflow'),
    generation: z
      .object({
        temperatures: z
          .array(
            z
              .number()
              .min(MIN_TEMPERATURE, `must be ≥ ${MIN_TEMPERATURE}`)
              .max(MAX_TEMPERATURE, `must be ≤ ${MAX_TEMPERATURE}`),
          )
          .min(1)
          .default(NOTEBOOK_TEMPERATURES),
        /**
         * What a temperature does: `spread` scales the latent noise around z's centre (the decoder
         * runs at 1); `decoder` divides the decoder's logits (the notebook's; no effect on `topk`).
         */
        temperatureMode: z.enum(['spread', 'decoder']).default(PRESETS.tagflow.temperatureMode),
        /** The corpus latent centres and tag calibration come from (default: counts.reference). */
        corpus: path.optional(),
        seeded: z
          .object({
            enabled: z.boolean().default(true),
            /** Categories a seed tag is drawn from (when the track has more than one tag there). */
            seedCategories: z.array(z.string()).default(['genre', 'instrument', 'mood']),
          })
          .strict()
          .default({ enabled: true, seedCategories: ['genre', 'instrument', 'mood'] }),
        latent: z
          .object({
            enabled: z.boolean().default(true),
            /** Total latent rows, spread evenly over the temperatures (default: catalogue rows × temperatures). */
            rows: positiveInt.max(MAX_LATENT_ROWS, `must be ≤ ${MAX_LATENT_ROWS}`).optional(),
            /** z's centre: a random corpus row's encoder posterior (`corpus`), or 0 (`standard`, N(0, I)). */
            prior: z.enum(['corpus', 'standard']).default(PRESETS.tagflow.latent.prior),
          })
          .strict()
          .default({ enabled: true, prior: PRESETS.tagflow.latent.prior }),
        /** Per-tag decoder bias fitted so that selected tag frequencies match the corpus. */
        calibration: z
          .object({
            enabled: z.boolean().default(PRESETS.tagflow.calibration.enabled),
            /** Fixed-point steps of the bias fit. */
            steps: positiveInt.max(50, 'must be ≤ 50').default(8),
            /** Calibration rows per temperature. */
            rows: positiveInt.max(1 << 20, `must be ≤ ${1 << 20}`).default(16_384),
          })
          .strict()
          .default({ enabled: PRESETS.tagflow.calibration.enabled, steps: 8, rows: 16_384 }),
        /** How tags are chosen from the decoded probabilities: top-k, or sampling (Gumbel-top-k). */
        selection: z.enum(['topk', 'sample']).default(PRESETS.tagflow.selection),
        /**
         * Latent rows' tag counts: drawn from the count model independently of z (the notebook's
         * way), or coupled to the decoded probabilities (core/generation/count-coupling.ts).
         */
        countCoupling: z
          .enum(['independent', 'coupled'], {
            error: (issue) =>
              `must be "independent" or "coupled", got ${JSON.stringify(issue.input)}`,
          })
          .default(PRESETS.tagflow.countCoupling),
        /** Concept-targeted sets: per listed tag, positive rows that contain it and matched negatives. */
        concepts: z
          .object({
            tags: z.union([z.literal('all'), z.array(z.string()).min(1)]),
            rowsPerConcept: positiveInt.max(100_000, 'must be ≤ 100000').default(200),
          })
          .strict()
          .optional(),
        /**
         * Every taxonomy tag in at least this many rows of the dataset: rows conditioned on the
         * tags short of it are added after dedupe (the coverage stage); 0: off.
         */
        minRowsPerTag: z
          .number()
          .int('must be a whole number')
          .min(0, 'must be ≥ 0 (0 turns coverage off)')
          .max(MAX_MIN_ROWS_PER_TAG, `must be ≤ ${MAX_MIN_ROWS_PER_TAG}`)
          .default(0),
        batchSize: positiveInt.max(65_536).default(2048),
        // Unset: sized to the run (core/plan.ts autoChunkRows).
        chunkRows: positiveInt.max(MAX_CHUNK_ROWS, `must be ≤ ${MAX_CHUNK_ROWS}`).optional(),
      })
      .strict()
      .default({
        temperatures: NOTEBOOK_TEMPERATURES,
        temperatureMode: PRESETS.tagflow.temperatureMode,
        seeded: { enabled: true, seedCategories: ['genre', 'instrument', 'mood'] },
        latent: { enabled: true, prior: PRESETS.tagflow.latent.prior },
        calibration: { enabled: PRESETS.tagflow.calibration.enabled, steps: 8, rows: 16_384 },
        selection: PRESETS.tagflow.selection,
        countCoupling: PRESETS.tagflow.countCoupling,
        minRowsPerTag: 0,
        batchSize: 2048,
      }),
    split: z
      .object({
        train: ratio.default(0.9),
        validation: ratio.default(0.05),
        test: ratio.default(0.05),
        stratify: z.boolean().default(false),
      })
      .strict()
      .default({ train: 0.9, validation: 0.05, test: 0.05, stratify: false }),
    evaluate: z
      .object({
        enabled: z.boolean().default(true),
        /** Reference corpus (default: the count model's reference corpus, when fitted). */
        reference: path.optional(),
      })
      .strict()
      .default({ enabled: true }),
    output: z
      .object({
        /** `file://<dir>`, `hf://datasets/<owner>/<name>` or `s3://<bucket>/<prefix>`; default `file://./out/<name>`. */
        target: z
          .string()
          .regex(
            /^(file:\/\/|hf:\/\/datasets\/|s3:\/\/)/,
            'must start with file://, hf://datasets/ or s3://',
          )
          .refine(
            (target) =>
              !target.startsWith('hf://') || /^hf:\/\/datasets\/[^/]+\/[^/]+\/?$/.test(target),
            'must be hf://datasets/<owner>/<name>',
          )
          .superRefine(s3UrlIssue)
          .optional(),
        /** The dataset's name in its card, `<name>` or `<owner>/<name>`; default: the target's. */
        name: z
          .string()
          .regex(/^([^/]+\/)?[^/]+$/, 'must be <name> or <owner>/<name>')
          .optional(),
        private: z.boolean().default(true),
        csv: z.boolean().default(false),
        license: z.string().default('cc-by-4.0'),
      })
      .strict()
      .default({ private: true, csv: false, license: 'cc-by-4.0' }),
    execution: z
      .object({
        maxParallelChunks: positiveInt.default(4),
        maxParallelTemperatures: positiveInt.default(8),
        /** Work a retried chunk may lose: seconds between part files (0: after every batch). */
        checkpointSeconds: z.number().nonnegative().default(DEFAULT_CHECKPOINT_SECONDS),
        /** Keep the run's intermediates after publishing (a rerun then reuses its chunks). */
        keepArtifacts: z.boolean().default(true),
      })
      .strict()
      .default({
        maxParallelChunks: 4,
        maxParallelTemperatures: 8,
        checkpointSeconds: DEFAULT_CHECKPOINT_SECONDS,
        keepArtifacts: true,
      }),
    /**
     * Where intermediates go, shared by all workers: a folder (default `.tagflow/artifacts`) or
     * `s3://<bucket>/<prefix>`.
     */
    artifacts: path
      .refine(
        (value) => isS3Url(value) || !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value),
        'must be a folder or s3://<bucket>/<prefix>',
      )
      .superRefine(s3UrlIssue)
      .default('.tagflow/artifacts'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { train, validation, test } = config.split;
    if (Math.abs(train + validation + test - 1) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['split'],
        message: `train + validation + test must sum to 1 (got ${train} + ${validation} + ${test} = ${train + validation + test})`,
      });
    }
    const g = config.generation;
    const corpus = g.corpus ?? (config.counts.mode === 'fit' ? config.counts.reference : undefined);
    if (!corpus && g.latent.prior === 'corpus') {
      ctx.addIssue({
        code: 'custom',
        path: ['generation', 'latent', 'prior'],
        message:
          '"corpus" needs a corpus: set generation.corpus (or counts.mode: fit with counts.reference), or use prior: standard',
      });
    }
    if (!corpus && g.calibration.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['generation', 'calibration', 'enabled'],
        message:
          'calibration needs a corpus: set generation.corpus (or counts.mode: fit with counts.reference), or enabled: false',
      });
    }
    if (g.latent.enabled && g.latent.rows !== undefined && g.chunkRows !== undefined) {
      const perTemperature = Math.ceil(g.latent.rows / g.temperatures.length);
      const chunks = Math.ceil(perTemperature / g.chunkRows);
      if (chunks > MAX_CHUNKS_PER_TEMPERATURE) {
        ctx.addIssue({
          code: 'custom',
          path: ['generation', 'chunkRows'],
          message: `${g.latent.rows} latent rows over ${g.temperatures.length} temperatures make ${chunks} chunks a temperature, more than ${MAX_CHUNKS_PER_TEMPERATURE}; set chunkRows to at least ${Math.ceil(perTemperature / MAX_CHUNKS_PER_TEMPERATURE)}`,
        });
      }
    }
    for (const issue of countParamsIssues(config.counts)) ctx.addIssue(issue);
    if (!config.generation.seeded.enabled && !config.generation.latent.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['generation'],
        message: 'enable seeded or latent generation (or both)',
      });
    }
  });

export type RunConfigInput = z.input<typeof RunConfigSchema>;
export type RunConfig = z.output<typeof RunConfigSchema>;

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments)
    out += typeof s === 'number' ? `[${s}]` : out ? `.${String(s)}` : String(s);
  return out || '(top level)';
}

/** Validates a parsed config; `source` names it in errors. Relative paths stay relative. */
export function parseRunConfig(value: unknown, source = 'config'): RunConfig {
  const result = RunConfigSchema.safeParse(isRecord(value) ? applyPreset(value) : value);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${formatPath(issue.path)}: ${issue.message}`,
    );
    throw new ValidationError(`${source}: invalid configuration\n${lines.join('\n')}`);
  }
  return result.data;
}

function absolute(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

/** `file://<relative or absolute path>` → a canonical `file:///absolute/path` URL. */
function absoluteTarget(base: string, target: string): string {
  if (!target.startsWith('file://')) return target;
  const rest = target.slice('file://'.length);
  // file:///abs is already a URL (possibly %-encoded); file://rel is a path relative to base.
  if (rest.startsWith('/')) return target;
  return pathToFileURL(absolute(base, rest)).href;
}

/** Makes every path absolute against `baseDir` and fills in derived defaults. */
export function resolveRunConfig(config: RunConfig, baseDir: string): RunConfig {
  const out: RunConfig = structuredClone(config);
  out.taxonomy = absolute(baseDir, config.taxonomy);
  out.catalogue.path = absolute(baseDir, config.catalogue.path);
  if (out.counts.mode === 'fit') out.counts.reference = absolute(baseDir, out.counts.reference);
  out.model.pack = absolute(baseDir, config.model.pack);
  if (out.train.corpus) out.train.corpus = absolute(baseDir, out.train.corpus);
  if (out.generation.corpus) out.generation.corpus = absolute(baseDir, out.generation.corpus);
  if (out.evaluate.reference) out.evaluate.reference = absolute(baseDir, out.evaluate.reference);
  out.output.target = absoluteTarget(baseDir, config.output.target ?? `file://out/${config.name}`);
  out.artifacts = isS3Url(config.artifacts)
    ? config.artifacts
    : absolute(baseDir, config.artifacts);
  return out;
}

/**
 * Reads a YAML/JSON config file. Paths inside it are resolved against the file's folder,
 * except `artifacts` and the default output target, which are resolved against `cwd` (the
 * project a user runs tagflow in).
 */
export function loadRunConfig(
  file: string,
  overrides: Partial<RunConfigInput> = {},
  cwd = process.cwd(),
): RunConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(`config ${file}: cannot read file (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ValidationError(`config ${file}: not valid YAML/JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError(`config ${file}: expected a mapping of settings at the top level`);
  }
  const merged = { ...(parsed as Record<string, unknown>), ...overrides };
  const config = parseRunConfig(merged, `config ${file}`);
  const fileDir = dirname(resolve(file));
  const resolved = resolveRunConfig(config, fileDir);
  // Where the user stands decides where derived folders go, not where the config file lives.
  if (!('artifacts' in merged)) resolved.artifacts = resolve(cwd, config.artifacts);
  if (!config.output.target)
    resolved.output.target = pathToFileURL(resolve(cwd, 'out', config.name)).href;
  return resolved;
}
