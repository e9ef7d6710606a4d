import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../activities/evaluate.js';
import { parseRecipe } from '../../core/dataset/index.js';
import { version } from '../../core/version.js';
import { demoRunThrough, inActivity, publishDemoRun } from '../helpers/demo-activities.js';
import { REPO_ROOT } from '../helpers/pipeline.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe('publish', () => {
  it('publishes the splits to the folder target with a card describing this run and the report', async () => {
    const run = await demoRunThrough('split', { output: { csv: true } });
    await inActivity(evaluate, [{ runId: run.runId, config: run.config }]);
    const summary = await publishDemoRun(run);
    expect(summary.target).toBe(run.config.output.target);
    expect(summary.commit).toBeUndefined();
    const dir = fileURLToPath(summary.target);
    const files = filesUnder(dir).filter((f) => f !== '.tagflow-dataset.json');
    expect(summary.files).toBe(files.length);
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'csv/train.csv',
        'report/metrics.json',
        'data/train-00000-of-00001.parquet',
      ]),
    );
    expect(files.some((f) => f.startsWith('report/charts/'))).toBe(true);

    const card = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(card).toContain(`# ${run.runId}\n`); // the folder's name
    expect(card).toContain(`| run id | \`${run.runId}\` |`);
    expect(card).toContain(`| seed | ${run.config.seed} |`);
    expect(card).toContain(`| tool | tagflow ${version} |`);
    expect(card).toContain('| temperatures | 0.75, 1.5 |');
    expect(card).toContain('Gaussian copula fitted on');
    expect(card).toContain('## Quality evaluation');
    expect(card).toMatch(/\]\(report\/charts\/[^)]+\)/);
    const csvLines = readFileSync(join(dir, 'csv/train.csv'), 'utf8').trim().split('\n');
    expect(csvLines.length - 1).toBe(run.split!.counts.train);
    expect(existsSync(join(dir, '.tagflow-dataset.json'))).toBe(true);

    // The recipe: the run's settings and inputs by name, size and sha256, covered by the
    // marker and the card, with no path of this machine in it.
    expect(files).toContain('tagflow.yaml');
    const text = readFileSync(join(dir, 'tagflow.yaml'), 'utf8');
    expect(text).not.toContain(run.dir);
    expect(text).not.toContain(REPO_ROOT);
    const recipe = parseRecipe(text);
    expect(recipe.tool).toBe(`tagflow ${version}`);
    expect(recipe.reproduce).toBe(`tagflow reproduce path/to/${run.runId} --inputs path/to/inputs`);
    expect(recipe.config).toMatchObject({
      name: run.runId,
      preset: 'tagflow',
      taxonomy: 'taxonomy.json',
      model: { pack: 'demo' },
      generation: { temperatures: [0.75, 1.5], temperatureMode: 'spread', selection: 'topk' },
      output: { name: run.runId, csv: true },
    });
    const demo = (file: string) => join(REPO_ROOT, file);
    const expected = [
      ['taxonomy', demo('data/demo/taxonomy.json')],
      ['catalogue.path', demo('data/demo/catalogue.csv')],
      ['counts.reference', demo('data/demo/corpus.csv')],
      ['model.pack', demo('models/demo/model.json')],
      ['model.pack', demo('models/demo/encoder.onnx')],
      ['model.pack', demo('models/demo/decoder.onnx')],
    ];
    expect(recipe.inputs.map((i) => [i.input, i.file, i.bytes, i.sha256])).toEqual(
      expected.map(([input, path]) => [
        input,
        path.split('/').at(-1),
        readFileSync(path).length,
        sha256(path),
      ]),
    );
    const marker = JSON.parse(readFileSync(join(dir, '.tagflow-dataset.json'), 'utf8'));
    expect(marker.files).toContainEqual({
      path: 'tagflow.yaml',
      bytes: Buffer.byteLength(text),
      sha256: sha256(join(dir, 'tagflow.yaml')),
    });
    expect(card).toContain(
      `| recipe | [tagflow.yaml](tagflow.yaml) (sha256 \`${sha256(join(dir, 'tagflow.yaml'))}\`)`,
    );
    for (const input of recipe.inputs) expect(card).toContain(`sha256 \`${input.sha256}\``);
  });
});
