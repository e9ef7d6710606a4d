import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunConfig, resolveRunConfig } from '../../../core/config.js';
import {
  buildRecipe,
  describeInputs,
  parseRecipe,
  RECIPE_FILE,
  recipeCardRows,
  renderRecipe,
  reproduceCommand,
  reproductionConfig,
  runInputPaths,
} from '../../../core/dataset/recipe.js';
import { ValidationError } from '../../../core/errors.js';
import { demoConfig, REPO_ROOT, tempDir } from '../../helpers/pipeline.js';

const dir = tempDir('recipe');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every string in a value, with its path. */
function strings(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

describe('the recipe (tagflow.yaml)', () => {
  const config = demoConfig('recipe-demo', dir, {
    generation: { temperatures: [0.75, 1.5], latent: { rows: 120 } },
    evaluate: { enabled: true, reference: join(REPO_ROOT, 'data/demo/corpus.csv') },
    output: { csv: true, private: false },
  });

  it('lists the files the run reads, the pack as its model.json and the files it names', async () => {
    expect(runInputPaths(config).map((i) => i.input)).toEqual([
      'taxonomy',
      'catalogue.path',
      'counts.reference',
      'evaluate.reference',
      'model.pack',
    ]);
    // A reference the evaluation does not read, and a pack the run trains, are not inputs.
    const off = { ...config, evaluate: { ...config.evaluate, enabled: false } };
    expect(runInputPaths(off).map((i) => i.input)).not.toContain('evaluate.reference');
    const trained = { ...config, train: { ...config.train, enabled: true } };
    expect(runInputPaths(trained).map((i) => i.input)).not.toContain('model.pack');

    const catalogue = config.catalogue.path;
    const described = await describeInputs([
      { input: 'catalogue.path', path: catalogue },
      {
        input: 'model.pack',
        path: join(config.model.pack, 'x.onnx'),
        sha256: 'a'.repeat(64),
        bytes: 7,
      },
    ]);
    expect(described).toEqual([
      {
        input: 'catalogue.path',
        file: 'catalogue.csv',
        bytes: readFileSync(catalogue).length,
        sha256: sha256(catalogue),
      },
      { input: 'model.pack', file: 'x.onnx', bytes: 7, sha256: 'a'.repeat(64) },
    ]);
  });

  it('holds the settings that shape rows, defaults explicit, paths as file names, nothing of this machine', async () => {
    const inputs = await describeInputs(
      runInputPaths(config).filter((i) => i.input !== 'model.pack'),
    );
    const recipe = buildRecipe({ config, dataset: 'recipe-demo', inputs, toolVersion: '9.9.9' });
    expect(recipe).toMatchObject({
      format: 'tagflow-recipe',
      formatVersion: 1,
      tool: 'tagflow 9.9.9',
      reproduce: 'tagflow reproduce path/to/recipe-demo --inputs path/to/inputs',
    });
    expect(recipe.config).toMatchObject({
      name: 'recipe-demo',
      seed: 42,
      preset: 'tagflow',
      taxonomy: 'taxonomy.json',
      catalogue: { path: 'catalogue.csv', idColumn: 'id', unknownTags: 'error' },
      counts: { mode: 'fit', reference: 'corpus.csv' },
      model: { pack: 'demo' },
      generation: {
        temperatures: [0.75, 1.5],
        temperatureMode: 'spread',
        latent: { enabled: true, rows: 120, prior: 'corpus' },
        calibration: { enabled: true, steps: 8, rows: 16_384 },
        selection: 'topk',
        countCoupling: 'independent',
        batchSize: 2048,
      },
      split: { train: 0.9, validation: 0.05, test: 0.05, stratify: false },
      evaluate: { enabled: true, reference: 'corpus.csv' },
      output: { name: 'recipe-demo', csv: true, license: 'cc-by-4.0' },
    });
    for (const key of ['artifacts', 'execution']) expect(recipe.config).not.toHaveProperty(key);
    expect(recipe.config.output).not.toHaveProperty('target');
    expect(recipe.config.output).not.toHaveProperty('private');
    const text = renderRecipe(recipe);
    expect(text).not.toContain(dir);
    expect(text).not.toContain(REPO_ROOT);
    for (const [at, value] of strings(recipe)) expect(value, at).not.toMatch(/^\//);
    expect(reproduceCommand('me/tags')).toBe(
      'tagflow reproduce hf://datasets/me/tags --inputs path/to/inputs',
    );
  });

  it('gives back the same run configuration with the inputs at new paths', () => {
    const recipe = buildRecipe({ config, dataset: 'me/recipe-demo', inputs: [], toolVersion: '1' });
    const elsewhere = '/somewhere/else';
    const raw = reproductionConfig(
      recipe,
      {
        taxonomy: `${elsewhere}/taxonomy.json`,
        'catalogue.path': `${elsewhere}/catalogue.csv`,
        'counts.reference': `${elsewhere}/corpus.csv`,
        'evaluate.reference': `${elsewhere}/corpus.csv`,
        'model.pack': `${elsewhere}/demo`,
      },
      { artifacts: `${elsewhere}/artifacts`, target: 'file:///somewhere/out' },
    );
    const again = resolveRunConfig(parseRunConfig(raw), elsewhere);
    const moved = (path: string) => path.replace(/^.*\//, `${elsewhere}/`);
    expect(again).toEqual({
      ...config,
      taxonomy: moved(config.taxonomy),
      catalogue: { ...config.catalogue, path: moved(config.catalogue.path) },
      counts: {
        ...config.counts,
        reference: moved((config.counts as { reference: string }).reference),
      },
      evaluate: { ...config.evaluate, reference: `${elsewhere}/corpus.csv` },
      model: { pack: `${elsewhere}/demo` },
      output: {
        ...config.output,
        name: 'me/recipe-demo',
        target: 'file:///somewhere/out',
        private: true,
      },
      artifacts: `${elsewhere}/artifacts`,
    });
  });

  it('reads back what it writes, and refuses what is not a recipe', () => {
    const inputs = [
      { input: 'taxonomy' as const, file: 't.json', bytes: 3, sha256: 'b'.repeat(64) },
    ];
    const recipe = buildRecipe({ config, dataset: 'x', inputs, toolVersion: '1.0.0' });
    const text = renderRecipe(recipe);
    expect(text.split('\n')[3]).toBe(`#   ${recipe.reproduce}`);
    expect(parseRecipe(text)).toEqual(recipe);
    expect(renderRecipe(parseRecipe(text))).toBe(text);

    const bad = (t: string) => () => parseRecipe(t, `x/${RECIPE_FILE}`);
    expect(bad('format: [')).toThrow(/x\/tagflow\.yaml: not valid YAML/);
    expect(bad('format: other')).toThrow(ValidationError);
    expect(bad(text.replace('formatVersion: 1', 'formatVersion: 2'))).toThrow(
      /newer than this tagflow/,
    );
    expect(bad(text.replace('b'.repeat(64), 'nope'))).toThrow(/inputs\.0\.sha256: must be 64 hex/);
    expect(bad(text.replace('file: t.json', 'file: /abs/t.json'))).toThrow(/must be a file name/);
  });

  it('shows the card the recipe, its digest and each input with its digest', () => {
    const rows = recipeCardRows({
      path: RECIPE_FILE,
      sha256: 'c'.repeat(64),
      command: 'tagflow reproduce path/to/x --inputs path/to/inputs',
      inputs: [
        { input: 'catalogue.path', file: 'tracks.csv', bytes: 1234567, sha256: 'd'.repeat(64) },
      ],
    });
    expect(rows).toEqual([
      [
        'recipe',
        `[tagflow.yaml](tagflow.yaml) (sha256 \`${'c'.repeat(64)}\`); \`tagflow reproduce path/to/x --inputs path/to/inputs\``,
      ],
      ['input `catalogue.path`', `\`tracks.csv\`, 1,234,567 bytes, sha256 \`${'d'.repeat(64)}\``],
    ]);
  });
});
