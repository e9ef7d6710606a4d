// The product as users run it: the `tagflow` command in embedded mode (its own dev server
// and worker), on the real ConceptCaps inputs and on the bundled demo, and the result loaded
// with Hugging Face `datasets`.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CONCEPTCAPS_DIR, conceptcaps, conceptcapsCatalogue } from '../helpers/conceptcaps.js';
import { conceptcapsPackDir, runCli, tempDir } from '../helpers/pipeline.js';
import { runPython } from '../helpers/python-datasets.js';

const dir = tempDir('cli');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const embedded = {
  TEMPORAL_ADDRESS: undefined,
  TAGFLOW_ACTIVITY_LOG: undefined,
  TAGFLOW_FAULTS: undefined,
};

interface Loaded {
  splits: Record<string, number>;
  features: Record<string, string>;
  first: Record<string, unknown>;
}

function loadWithDatasets(folder: string): Loaded {
  return runPython<Loaded>(
    `
import json, sys
import datasets
ds = datasets.load_dataset(sys.argv[1])
train = ds["train"]
print(json.dumps({
  "splits": {name: len(split) for name, split in ds.items()},
  "features": {name: repr(f) for name, f in train.features.items()},
  "first": train[0],
}))
`,
    [folder],
  );
}

function publishedTextFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(md|json|svg)$/.test(f))
    .map((f) => join(folder, f));
}

function datasetLine(stdout: string): string {
  const match = /^dataset: (file:\/\/\S+)$/m.exec(stdout);
  if (!match) throw new Error(`no dataset line in:\n${stdout}`);
  return fileURLToPath(match[1]);
}

describe('tagflow run (embedded mode)', () => {
  it('runs the ConceptCaps inputs end to end, and the dataset loads in datasets', async () => {
    const name = `cc-${randomUUID().slice(0, 8)}`;
    const config = join(dir, `${name}.yaml`);
    writeFileSync(
      config,
      stringify({
        name,
        taxonomy: conceptcaps('concepts_to_tags.json'),
        catalogue: conceptcapsCatalogue(),
        counts: { mode: 'fit', reference: conceptcaps('musiccaps_distilled.csv') },
        model: { pack: await conceptcapsPackDir() },
      }),
    );
    const result = await runCli(['run', '--config', config, '--no-progress', '--no-ui'], {
      cwd: dir,
      env: embedded,
    });
    expect(result.code, result.stderr).toBe(0);
    const folder = datasetLine(result.stdout);
    expect(folder).toBe(join(dir, 'out', name));
    const counts = /train (\d+), validation (\d+), test (\d+)/
      .exec(result.stdout)!
      .slice(1)
      .map(Number);
    expect(result.stdout).toMatch(/rows: 28574 generated/);

    const loaded = loadWithDatasets(folder);
    expect(loaded.splits).toEqual({ train: counts[0], validation: counts[1], test: counts[2] });
    for (const column of [
      'aspect_list',
      'original_aspect_list',
      'tempo_tags',
      'genre_tags',
      'mood_tags',
      'instrument_tags',
    ]) {
      expect(loaded.features[column]).toMatch(
        /List\(Value\('string'\)\)|Sequence\(feature=Value\(dtype='string'/,
      );
    }
    // What is published names input files, never this machine's paths.
    for (const file of publishedTextFiles(folder)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain(CONCEPTCAPS_DIR);
      expect(text, file).not.toContain(dir);
    }
    expect(['seeded', 'latent']).toContain(loaded.first.mode);
    expect((loaded.first.aspect_list as string[]).length).toBeGreaterThan(0);

    // The run is kept in the embedded server's SQLite file: status finds it afterwards.
    const status = await runCli(['status', name], { cwd: dir, env: embedded });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`run ${name}: COMPLETED`));
    expect(status.stdout).toMatch(/rows: 28574 generated/);
  }, 300_000);

  it('`tagflow demo` runs the bundled demo and prints where the dataset is, examples and the UI', async () => {
    const result = await runCli(['demo', '--no-progress'], { cwd: dir, env: embedded });
    expect(result.code, result.stderr).toBe(0);
    const folder = datasetLine(result.stdout);
    expect(folder).toBe(join(dir, 'out', 'demo'));
    expect(result.stdout).toMatch(/example rows/);
    expect(result.stdout).toMatch(
      /Temporal UI.*http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/tagflow-demo/,
    );
    expect(loadWithDatasets(folder).splits.train).toBeGreaterThan(1000);
    // The dataset card shows the evaluation charts, which ship with it.
    const card = readFileSync(join(folder, 'README.md'), 'utf8');
    const charts = [...card.matchAll(/!\[[^\]]*\]\((report\/charts\/[^)]+\.png)\)/g)].map(
      (m) => m[1],
    );
    expect(charts.length).toBeGreaterThanOrEqual(3);
    for (const chart of charts) expect(existsSync(join(folder, chart))).toBe(true);
  }, 300_000);

  it('says what is wrong and exits non-zero when the config file does not exist', async () => {
    const result = await runCli(['run', '--config', join(dir, 'missing.yaml')], {
      cwd: dir,
      env: embedded,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tagflow: config .*missing\.yaml: cannot read file/m);
  });
});
