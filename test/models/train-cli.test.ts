import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelTrainCommand } from '../../cli/model-train.js';
import { loadVaeSession } from '../../core/generation/index.js';
import { loadTaxonomy } from '../../core/inputs/index.js';

const temp = mkdtempSync(join(tmpdir(), 'tagflow-train-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
const demo = (file: string) => join(import.meta.dirname, '..', '..', 'data', 'demo', file);

async function train(args: string[]) {
  const lines: string[] = [];
  const command = modelTrainCommand({ print: (line) => lines.push(line) }).exitOverride();
  await command.parseAsync(args, { from: 'user' });
  return lines;
}

describe('tagflow model train', () => {
  it('trains on a corpus file and writes a loadable pack recording the corpus and config', async () => {
    const out = join(temp, 'pack');
    const lines = await train([
      '--taxonomy',
      demo('taxonomy.json'),
      '--corpus',
      demo('corpus.csv'),
      '--out',
      out,
      '--hidden',
      '8',
      '--latent',
      '3',
      '--epochs',
      '2',
      '--seed',
      '5',
      '--no-progress',
    ]);
    expect(lines.join('\n')).toMatch(/finished after 2 epochs/);
    const meta = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const corpusSha = createHash('sha256')
      .update(readFileSync(demo('corpus.csv')))
      .digest('hex');
    expect(meta.provenance.corpus).toEqual({
      source: demo('corpus.csv'),
      sha256: corpusSha,
      rows: 3000,
    });
    expect(meta.provenance.config).toMatchObject({
      hiddenDim: 8,
      latentDim: 3,
      maxEpochs: 2,
      seed: 5,
      backend: 'wasm',
    });
    expect(meta.provenance.split).toEqual({ trainRows: 2700, validationRows: 300 });
    const taxonomy = loadTaxonomy(demo('taxonomy.json'));
    const session = await loadVaeSession({ packDir: out, taxonomy });
    const probs = await session.decode(new Float32Array(3), Float32Array.of(1), 1);
    expect(probs.length).toBe(taxonomy.size);
  });

  it('refuses a bad setting before training', async () => {
    const args = [
      '--taxonomy',
      demo('taxonomy.json'),
      '--corpus',
      demo('corpus.csv'),
      '--out',
      join(temp, 'x'),
    ];
    await expect(train([...args, '--beta', '-1', '--no-progress'])).rejects.toThrow(
      /beta must be ≥ 0/,
    );
    await expect(train([...args, '--epochs', 'many'])).rejects.toThrow(/expected an integer/);
  });
});
