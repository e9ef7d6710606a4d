// A published dataset carries its recipe: publish the demo, `tagflow verify` it, and
// `tagflow reproduce` it from the folder (the CLI, embedded mode) and from the Hub (a local
// endpoint, the real @huggingface/hub client); tampered datasets and inputs are named.
// The publishing runs and the Hub reproduction run in this process against the test server.
import { randomUUID } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { reproduceDataset } from '../../cli/reproduce.js';
import { runPipeline } from '../../cli/run.js';
import { verifyPublished } from '../../cli/verify.js';
import { type FakeHub, startFakeHub } from '../helpers/fake-hub.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';
import { useTestTemporal } from '../helpers/temporal.js';

const TOKEN = 'hf_reproduceTestToken0123456789abcdefgh';
const embedded = {
  TEMPORAL_ADDRESS: undefined,
  TAGFLOW_ACTIVITY_LOG: undefined,
  TAGFLOW_FAULTS: undefined,
};

const dir = tempDir('reproduce');
const name = `rp-${randomUUID().slice(0, 8)}`;
const published = join(dir, 'out', name);
const saved = {
  address: process.env.TEMPORAL_ADDRESS,
  token: process.env.HF_TOKEN,
  endpoint: process.env.HF_ENDPOINT,
};
afterAll(() => {
  for (const [key, value] of [
    ['TEMPORAL_ADDRESS', saved.address],
    ['HF_TOKEN', saved.token],
    ['HF_ENDPOINT', saved.endpoint],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

function copy(from: string, to: string): string {
  mkdirSync(join(to, '..'), { recursive: true });
  cpSync(from, to, { recursive: true });
  return to;
}

/** Flips one byte in the middle of a file (its size stays). */
function flipByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1] ^= 0x01;
  writeFileSync(path, bytes);
}

describe('tagflow verify and tagflow reproduce', () => {
  const temporal = useTestTemporal();
  const lines: string[] = [];
  const run = (overrides: { name?: string; target?: string } = {}) =>
    runPipeline({
      config: join(dir, 'run.yaml'),
      ...overrides,
      progress: false,
      detach: false,
      ui: false,
      device: 'cpu',
      queuePrefix: temporal.workers.queuePrefix,
      print: (line) => lines.push(line),
    });

  beforeAll(async () => {
    process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
    const inputs = join(dir, 'inputs');
    for (const file of ['taxonomy.json', 'catalogue.csv', 'corpus.csv'])
      copy(join(REPO_ROOT, 'data/demo', file), join(inputs, file));
    copy(join(REPO_ROOT, 'models/demo'), join(inputs, 'pack'));
    writeFileSync(
      join(dir, 'run.yaml'),
      stringify({
        name,
        taxonomy: 'inputs/taxonomy.json',
        catalogue: { path: 'inputs/catalogue.csv' },
        counts: { mode: 'fit', reference: 'inputs/corpus.csv' },
        model: { pack: 'inputs/pack' },
        generation: {
          temperatures: [0.75, 1.5],
          latent: { rows: 200 },
          calibration: { rows: 2048, steps: 2 },
          chunkRows: 200,
        },
        artifacts: 'artifacts',
        output: { target: `file://out/${name}` },
      }),
    );
    await run();
  }, 180_000);

  it('verifies the published demo and reproduces it from the folder: identical, exit 0', async () => {
    const verified = await runCli(['verify', published], { cwd: dir });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^verified: \d+ files$/m);

    // The inputs elsewhere, laid out and named otherwise: found by their digests.
    const moved = join(dir, 'moved');
    copy(join(dir, 'inputs/corpus.csv'), join(moved, 'a/b/renamed-corpus.csv'));
    copy(join(dir, 'inputs/taxonomy.json'), join(moved, 'taxonomy.json'));
    copy(join(dir, 'inputs/catalogue.csv'), join(moved, 'c/tracks.csv'));
    for (const file of readdirSync(join(dir, 'inputs/pack')))
      copy(join(dir, 'inputs/pack', file), join(moved, 'models', file));
    const reproduced = await runCli(
      ['reproduce', published, '--inputs', moved, '--no-progress', '--no-ui'],
      { cwd: dir, env: embedded, timeoutMs: 200_000 },
    );
    expect(reproduced.code, `${reproduced.stdout}\n${reproduced.stderr}`).toBe(0);
    expect(reproduced.stdout).toMatch(/^verified: \d+ files$/m);
    expect(reproduced.stdout).toMatch(/^identical$/m);
    const out = join(dir, 'out', `${name}-reproduced`);
    expect(reproduced.stdout).toContain(`reproduction: ${out}`);
    expect(readFileSync(join(out, 'tagflow.yaml'))).toEqual(
      readFileSync(join(published, 'tagflow.yaml')),
    );
    expect(existsSync(join(dir, '.tagflow', 'reproduce'))).toBe(false);
  }, 240_000);

  it('names an altered file, an altered input with both digests, a missing recipe or inputs folder', async () => {
    const tampered = copy(published, join(dir, 'tampered', name));
    flipByte(join(tampered, 'data/train-00000-of-00001.parquet'));
    const badInputs = copy(join(dir, 'inputs'), join(dir, 'bad-inputs'));
    flipByte(join(badInputs, 'catalogue.csv'));
    const expected = JSON.parse(readFileSync(join(published, '.tagflow-dataset.json'), 'utf8'));
    const recipe = readFileSync(join(published, 'tagflow.yaml'), 'utf8');
    const catalogueSha =
      /input: catalogue\.path\n\s+file: catalogue\.csv\n\s+bytes: \d+\n\s+sha256: ([0-9a-f]{64})/.exec(
        recipe,
      )![1];
    const unrecipied = copy(published, join(dir, 'no-recipe', name));
    rmSync(join(unrecipied, 'tagflow.yaml'));

    const [verify, refused, noRecipe, noFolder] = await Promise.all([
      runCli(['verify', tampered], { cwd: dir }),
      runCli(['reproduce', published, '--inputs', badInputs, '--out', 'never'], {
        cwd: dir,
        env: embedded,
      }),
      runCli(['reproduce', unrecipied, '--inputs', join(dir, 'inputs')], {
        cwd: dir,
        env: embedded,
      }),
      runCli(['reproduce', published, '--inputs', 'inputs', 'nothing-here'], {
        cwd: dir,
        env: embedded,
      }),
    ]);

    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(
      /^altered: data\/train-00000-of-00001\.parquet \(expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}\)$/m,
    );
    expect(verify.stdout).not.toMatch(/^verified/m);
    expect(verify.stderr).toMatch(/^tagflow: .*1 file does not match the digests/m);
    expect(expected.files.map((f: { path: string }) => f.path)).toContain('tagflow.yaml');

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('nothing was generated');
    expect(refused.stderr).toContain(
      `input catalogue.path: catalogue.csv with sha256 ${catalogueSha}`,
    );
    expect(refused.stderr).toMatch(
      new RegExp(
        `found ${join(badInputs, 'catalogue.csv')} with sha256 (?!${catalogueSha})[0-9a-f]{64}`,
      ),
    );
    expect(existsSync(join(dir, 'never'))).toBe(false);
    expect(existsSync(join(dir, '.tagflow', 'reproduce'))).toBe(false);

    expect(noRecipe.code).toBe(1);
    expect(noRecipe.stdout).toMatch(/^missing: tagflow\.yaml$/m);
    expect(noRecipe.stderr).toMatch(
      /^tagflow: .*: its recipe, tagflow\.yaml, is missing: the dataset cannot be reproduced without it$/m,
    );
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toContain(`--inputs ${join(dir, 'nothing-here')}: no such folder`);
  }, 120_000);

  describe('from the Hub', () => {
    let hub: FakeHub;
    beforeAll(async () => {
      hub = await startFakeHub({ token: TOKEN });
      process.env.HF_TOKEN = TOKEN;
      process.env.HF_ENDPOINT = hub.url;
    });
    afterAll(() => hub.close());

    it('publishes to hf://, verifies it there and reproduces it from it: identical', async () => {
      const hubName = `${name}-hub`;
      const repo = `hf://datasets/me/${hubName}`;
      await run({ name: hubName, target: repo });
      const printed: string[] = [];
      await verifyPublished(repo, { print: (l) => printed.push(l) });
      expect(printed).toEqual([expect.stringMatching(/^verified: \d+ files$/)]);

      const outcome = await reproduceDataset({
        dataset: repo,
        inputs: [join(dir, 'inputs')],
        progress: false,
        ui: false,
        queuePrefix: temporal.workers.queuePrefix,
        cwd: dir,
        print: (l) => printed.push(l),
      });
      expect(outcome.differences).toEqual([]);
      expect(outcome.identical).toBe(true);
      expect(printed).toContain('identical');
      expect(outcome.out).toBe(join(dir, 'out', `${hubName}-reproduced`));
      // The card is the Hub dataset's, loading snippet included, though it now sits in a folder.
      expect(readFileSync(join(outcome.out, 'README.md'), 'utf8')).toContain(
        `load_dataset("me/${hubName}")`,
      );
    }, 180_000);
  });
});
