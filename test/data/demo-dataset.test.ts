// The demo's dataset, byte for byte: with `preset: notebook` a run gives exactly the Parquet
// files tagflow gave before core/ was regrouped and the tagflow preset became the default
// (recorded from commit 688a623, `tagflow demo`); with the default preset, different rows.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { datasetDigest, REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';

const NOTEBOOK_DEMO_PARQUET = {
  'test-00000-of-00001.parquet': 'a79f9330a050877d5af7753da7b33a317cb3c55aca27f5deaa381e3d36c93cd0',
  'train-00000-of-00001.parquet':
    '96eeec82c5e6fb866413a2f639e1c92282200fb66ea2aec67f3c509e48481e2d',
  'validation-00000-of-00001.parquet':
    'ac8f21242f62ff14c9582a337b372eb965de97079947688608115d6af714a66a',
};

const dir = tempDir('demo-golden');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bundled demo config with absolute input paths, and changes on top. */
function demoYaml(name: string, changes: Record<string, unknown>): string {
  const demo = parse(readFileSync(join(REPO_ROOT, 'data/demo/run.yaml'), 'utf8'));
  const at = (p: string) => join(REPO_ROOT, 'data/demo', p);
  const config = {
    ...demo,
    name,
    taxonomy: at(demo.taxonomy),
    catalogue: { ...demo.catalogue, path: at(demo.catalogue.path) },
    counts: { ...demo.counts, reference: at(demo.counts.reference) },
    model: { pack: at(demo.model.pack) },
    ...changes,
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

async function runDemo(name: string, changes: Record<string, unknown>) {
  const result = await runCli(
    ['run', '--config', demoYaml(name, changes), '--no-progress', '--no-ui'],
    {
      cwd: dir,
      env: {
        TEMPORAL_ADDRESS: undefined,
        TAGFLOW_ACTIVITY_LOG: undefined,
        TAGFLOW_FAULTS: undefined,
      },
    },
  );
  expect(result.code, result.stderr).toBe(0);
  const target = /^dataset: (file:\/\/\S+)$/m.exec(result.stdout)![1];
  return { target, card: readFileSync(join(fileURLToPath(target), 'README.md'), 'utf8') };
}

describe('the demo dataset', () => {
  it('is byte-identical to the recorded notebook-policy dataset under preset: notebook', async () => {
    const { target, card } = await runDemo('demo', { preset: 'notebook' });
    expect(datasetDigest(target)).toEqual(NOTEBOOK_DEMO_PARQUET);
    expect(card).toMatch(/\| preset \| `notebook` \|/);
  }, 300_000);

  it('differs under the default preset, whose card says what temperature does', async () => {
    const { target, card } = await runDemo('demo-default', {});
    const digest = datasetDigest(target);
    expect(Object.keys(digest)).toEqual(Object.keys(NOTEBOOK_DEMO_PARQUET));
    expect(digest['train-00000-of-00001.parquet']).not.toBe(
      NOTEBOOK_DEMO_PARQUET['train-00000-of-00001.parquet'],
    );
    expect(card).toMatch(/\| preset \| `tagflow` \|/);
    expect(card).toMatch(/temperature scales the spread/i);
  }, 300_000);
});
