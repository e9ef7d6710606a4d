// tagflow.yaml: a published dataset's recipe. Every publish writes it at the dataset's root:
// the run configuration that shaped the rows (defaults explicit, the preset named, paths as
// file names), each input by file name, size and sha256, the tool version, and the command
// that reproduces the dataset. The marker and the card list its digest; `tagflow reproduce`
// reads it. Nothing in it is a local path or a secret, and nothing depends on the clock.
import { statSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import type { RunConfig } from '../config.js';
import { ValidationError } from '../errors.js';
import { sha256File } from '../io/index.js';

export const RECIPE_FILE = 'tagflow.yaml';
export const RECIPE_FORMAT = 'tagflow-recipe';
export const RECIPE_VERSION = 1;

/** The run-configuration fields that name an input; `model.pack` names a folder of files. */
export const INPUT_FIELDS = [
  'taxonomy',
  'catalogue.path',
  'counts.reference',
  'generation.corpus',
  'evaluate.reference',
  'train.corpus',
  'model.pack',
] as const;
export type InputField = (typeof INPUT_FIELDS)[number];

export interface RecipeInput {
  /** The configuration field that names it. */
  input: InputField;
  /** Its file name (for `model.pack`: the name of one file of the pack). */
  file: string;
  bytes: number;
  sha256: string;
}

export interface DatasetRecipe {
  format: typeof RECIPE_FORMAT;
  formatVersion: number;
  /** `tagflow <version>`. */
  tool: string;
  /** The command that reproduces the dataset. */
  reproduce: string;
  /** The run configuration, paths reduced to file names; no machine settings. */
  config: Record<string, unknown>;
  inputs: RecipeInput[];
}

/** What the dataset card shows of the recipe (set by the publisher once tagflow.yaml is written). */
export interface CardRecipe {
  /** Its path in the dataset. */
  path: string;
  sha256: string;
  /** The command that reproduces the dataset. */
  command: string;
  inputs: RecipeInput[];
}

// Thousands separators by hand, as the card does: no locale data.
const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The card's provenance-table rows for the recipe and each input, with their digests. */
export function recipeCardRows(recipe: CardRecipe): string[][] {
  return [
    [
      'recipe',
      `[${recipe.path}](${recipe.path}) (sha256 \`${recipe.sha256}\`); \`${recipe.command}\``,
    ],
    ...recipe.inputs.map((i) => [
      `input \`${i.input}\``,
      `\`${i.file}\`, ${int(i.bytes)} bytes, sha256 \`${i.sha256}\``,
    ]),
  ];
}

const SHA256 = /^[0-9a-f]{64}$/;

const RecipeSchema = z.object({
  format: z.literal(RECIPE_FORMAT),
  formatVersion: z.number().int().positive(),
  tool: z.string(),
  reproduce: z.string(),
  config: z.record(z.string(), z.unknown()),
  inputs: z.array(
    z
      .object({
        input: z.enum(INPUT_FIELDS),
        file: z.string().regex(/^[^/\\]+$/, 'must be a file name'),
        bytes: z.number().int().nonnegative(),
        sha256: z.string().regex(SHA256, 'must be 64 hex digits'),
      })
      .strict(),
  ),
});

/** The reproduce command as the recipe states it: the dataset on the Hub, or a folder. */
export function reproduceCommand(dataset: string): string {
  const where = dataset.includes('/') ? `hf://datasets/${dataset}` : `path/to/${dataset}`;
  return `tagflow reproduce ${where} --inputs path/to/inputs`;
}

/** The input files a run reads, by field (model.pack: the pack's folder). */
export function runInputPaths(config: RunConfig): { input: InputField; path: string }[] {
  const out: { input: InputField; path: string }[] = [
    { input: 'taxonomy', path: config.taxonomy },
    { input: 'catalogue.path', path: config.catalogue.path },
  ];
  if (config.counts.mode === 'fit')
    out.push({ input: 'counts.reference', path: config.counts.reference });
  if (config.generation.corpus)
    out.push({ input: 'generation.corpus', path: config.generation.corpus });
  if (config.evaluate.enabled && config.evaluate.reference)
    out.push({ input: 'evaluate.reference', path: config.evaluate.reference });
  if (config.train.enabled && config.train.corpus)
    out.push({ input: 'train.corpus', path: config.train.corpus });
  // A trained pack is made by the run, not read by it.
  if (!config.train.enabled) out.push({ input: 'model.pack', path: config.model.pack });
  return out;
}

/** Size and sha256 of input files; `sha256` and `bytes` given are trusted (e.g. from model.json). */
export async function describeInputs(
  files: { input: InputField; path: string; sha256?: string; bytes?: number }[],
): Promise<RecipeInput[]> {
  const out: RecipeInput[] = [];
  for (const f of files) {
    out.push({
      input: f.input,
      file: basename(f.path),
      bytes: f.bytes ?? statSync(f.path).size,
      sha256: f.sha256 ?? (await sha256File(f.path)),
    });
  }
  return out;
}

const fileName = (p: string) => basename(p);

/** A string that looks like a local absolute path becomes its file name. */
function noAbsolutePaths(value: unknown): unknown {
  if (typeof value === 'string') return isAbsolute(value) ? basename(value) : value;
  if (Array.isArray(value)) return value.map(noAbsolutePaths);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, noAbsolutePaths(v)]));
  }
  return value;
}

/**
 * The recipe's configuration: every field of `config` that shapes the dataset, paths as file
 * names. Left out: where things go on this machine (artifacts, output.target), how fast
 * (execution) and Hub visibility (output.private); `output.name` is set to `dataset`.
 */
export function recipeConfig(config: RunConfig, dataset: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(structuredClone(config))) {
    if (key === 'artifacts' || key === 'execution') continue;
    out[key] = value;
  }
  out.taxonomy = fileName(config.taxonomy);
  out.catalogue = { ...config.catalogue, path: fileName(config.catalogue.path) };
  if (config.counts.mode === 'fit')
    out.counts = { ...config.counts, reference: fileName(config.counts.reference) };
  out.model = { pack: fileName(config.model.pack) };
  if (config.train.corpus) out.train = { ...config.train, corpus: fileName(config.train.corpus) };
  if (config.generation.corpus)
    out.generation = { ...config.generation, corpus: fileName(config.generation.corpus) };
  if (config.evaluate.reference)
    out.evaluate = { ...config.evaluate, reference: fileName(config.evaluate.reference) };
  out.output = { name: dataset, csv: config.output.csv, license: config.output.license };
  return noAbsolutePaths(out) as Record<string, unknown>;
}

export function buildRecipe(params: {
  config: RunConfig;
  /** `<name>` or `<owner>/<name>`: the dataset's name in its card. */
  dataset: string;
  inputs: RecipeInput[];
  toolVersion: string;
}): DatasetRecipe {
  return {
    format: RECIPE_FORMAT,
    formatVersion: RECIPE_VERSION,
    tool: `tagflow ${params.toolVersion}`,
    reproduce: reproduceCommand(params.dataset),
    config: recipeConfig(params.config, params.dataset),
    inputs: params.inputs,
  };
}

/** tagflow.yaml's text. */
export function renderRecipe(recipe: DatasetRecipe): string {
  const header = [
    '# How this dataset was made. `config` is the run configuration that shaped its rows (paths',
    '# are file names), `inputs` the files the run read, by size and sha256. To make it again',
    '# and compare file by file, point --inputs at folders holding those files:',
    `#   ${recipe.reproduce}`,
  ];
  return `${header.join('\n')}\n${stringify(recipe, { lineWidth: 0 })}`;
}

/** Reads tagflow.yaml; `where` names it in errors. */
export function parseRecipe(text: string, where = RECIPE_FILE): DatasetRecipe {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new ValidationError(`${where}: not valid YAML (${(err as Error).message})`);
  }
  const result = RecipeSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ValidationError(
      `${where}: not a tagflow recipe (${issue.path.join('.') || 'content'}: ${issue.message})`,
    );
  }
  if (result.data.formatVersion > RECIPE_VERSION) {
    throw new ValidationError(
      `${where}: recipe format ${result.data.formatVersion} is newer than this tagflow reads (${RECIPE_VERSION}); upgrade tagflow`,
    );
  }
  return result.data as DatasetRecipe;
}

/**
 * The run configuration that reproduces `recipe`: its config with each input field pointing at
 * `paths` (model.pack: a folder holding the pack's files), artifacts and target as given.
 */
export function reproductionConfig(
  recipe: DatasetRecipe,
  paths: Partial<Record<InputField, string>>,
  where: { artifacts: string; target: string },
): Record<string, unknown> {
  const config = structuredClone(recipe.config) as Record<string, Record<string, unknown>>;
  const set = (field: InputField, object: Record<string, unknown>, key: string) => {
    const path = paths[field];
    if (path !== undefined) object[key] = path;
  };
  set('taxonomy', config as Record<string, unknown>, 'taxonomy');
  if (config.catalogue) set('catalogue.path', config.catalogue, 'path');
  if (config.counts) set('counts.reference', config.counts, 'reference');
  if (config.generation) set('generation.corpus', config.generation, 'corpus');
  if (config.evaluate) set('evaluate.reference', config.evaluate, 'reference');
  if (config.train) set('train.corpus', config.train, 'corpus');
  if (config.model) set('model.pack', config.model, 'pack');
  return {
    ...config,
    output: { ...config.output, target: where.target },
    artifacts: where.artifacts,
  };
}
