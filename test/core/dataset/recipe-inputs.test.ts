import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetRecipe, RecipeInput } from '../../../core/dataset/recipe.js';
import { findRecipeInputs, stageInputs } from '../../../core/dataset/recipe-inputs.js';
import { ValidationError } from '../../../core/errors.js';
import { tempDir } from '../../helpers/pipeline.js';

const dir = tempDir('recipe-inputs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function recipeInput(input: RecipeInput['input'], file: string, text: string): RecipeInput {
  return {
    input,
    file,
    bytes: Buffer.byteLength(text),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}

describe("finding a recipe's inputs by content", () => {
  const taxonomy = recipeInput('taxonomy', 'taxonomy.json', '{"genre": ["rock"]}');
  const corpus = recipeInput('counts.reference', 'corpus.csv', 'id,genre_tags\n1,rock\n');
  const encoder = recipeInput('model.pack', 'encoder.onnx', 'ENCODER');
  const meta = recipeInput('model.pack', 'model.json', '{"files": {}}');

  it('finds each file by sha256 wherever it is and whatever it is called', async () => {
    const root = join(dir, 'found');
    write(join(root, 'a', 'deep', 'renamed-taxonomy.json'), '{"genre": ["rock"]}');
    // Same size and name, other content: not taken.
    write(join(root, 'b', 'corpus.csv'), 'id,genre_tags\n1,jazz\n');
    write(join(root, 'c', 'x.csv'), 'id,genre_tags\n1,rock\n');
    write(join(root, 'pack', 'encoder.onnx'), 'ENCODER');
    write(join(root, 'other', 'model.json'), '{"files": {}}');
    // Hidden folders and node_modules are not searched.
    write(join(root, '.hidden', 'corpus.csv'), 'id,genre_tags\n1,rock\n');
    const search = await findRecipeInputs([taxonomy, corpus, encoder, meta], [root]);
    expect(search.problems).toEqual([]);
    expect(search.found.map((f) => [f.input.file, f.path])).toEqual([
      ['taxonomy.json', join(root, 'a', 'deep', 'renamed-taxonomy.json')],
      ['corpus.csv', join(root, 'c', 'x.csv')],
      ['encoder.onnx', join(root, 'pack', 'encoder.onnx')],
      ['model.json', join(root, 'other', 'model.json')],
    ]);

    // Staged under the recipe's names, the pack in one folder named as in the config.
    const recipe = { config: { model: { pack: 'demo' } } } as unknown as DatasetRecipe;
    const stage = join(dir, 'stage');
    const paths = stageInputs(recipe, search.found, stage);
    expect(paths).toEqual({
      taxonomy: join(stage, 'taxonomy', 'taxonomy.json'),
      'counts.reference': join(stage, 'counts.reference', 'corpus.csv'),
      'model.pack': join(stage, 'model.pack', 'demo'),
    });
    expect(readFileSync(join(stage, 'model.pack', 'demo', 'model.json'), 'utf8')).toBe(
      '{"files": {}}',
    );
    const link = join(stage, 'counts.reference', 'corpus.csv');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join(root, 'c', 'x.csv'));
    // Staging again starts from an empty folder.
    stageInputs(recipe, search.found.slice(0, 1), stage);
    expect(() => lstatSync(link)).toThrow();
  });

  it('names the input, its digest and what it found instead', async () => {
    const root = join(dir, 'wrong');
    write(join(root, 'corpus.csv'), 'id,genre_tags\n1,jazz\n');
    write(join(root, 'sub', 'taxonomy.json'), '{"genre": ["rock"]}');
    const other = createHash('sha256').update('id,genre_tags\n1,jazz\n').digest('hex');
    const search = await findRecipeInputs([taxonomy, corpus], [root]);
    expect(search.found.map((f) => f.input.input)).toEqual(['taxonomy']);
    expect(search.problems).toHaveLength(1);
    const [line] = search.problems;
    expect(line).toContain('input counts.reference: corpus.csv');
    expect(line).toContain(`sha256 ${corpus.sha256}`);
    expect(line).toContain(`found ${join(root, 'corpus.csv')} with sha256 ${other}`);

    const none = await findRecipeInputs([meta], [join(dir, 'wrong')]);
    expect(none.problems[0]).toMatch(
      /input model\.pack: model\.json .*no file there has that digest or that name/,
    );
  });

  it('follows links to files, and refuses a folder that is not there', async () => {
    const root = join(dir, 'links');
    mkdirSync(root, { recursive: true });
    symlinkSync(join(dir, 'found', 'pack', 'encoder.onnx'), join(root, 'enc'));
    symlinkSync(join(dir, 'nowhere'), join(root, 'dangling'));
    const search = await findRecipeInputs([encoder], [root]);
    expect(search.found[0]?.path).toBe(join(root, 'enc'));
    await expect(findRecipeInputs([encoder], [join(dir, 'nowhere')])).rejects.toThrow(
      ValidationError,
    );
  });
});
