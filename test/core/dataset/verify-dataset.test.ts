import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatasetSource } from '../../../core/dataset/dataset-source.js';
import { publishDataset } from '../../../core/dataset/publish-dataset.js';
import { DATASET_MARKER } from '../../../core/dataset/publish-folder.js';
import { publishToHub } from '../../../core/dataset/publish-hub.js';
import { type DatasetRecipe, RECIPE_FILE } from '../../../core/dataset/recipe.js';
import {
  compareWithPublished,
  describeProblem,
  readDatasetMarker,
  verifyDataset,
} from '../../../core/dataset/verify-dataset.js';
import { ValidationError } from '../../../core/errors.js';
import { type FakeHub, startFakeHub } from '../../helpers/fake-hub.js';
import { type SplitFixture, splitFixture } from '../../helpers/publish-fixture.js';

const TOKEN = 'hf_verifyTestToken0123456789abcdefghij';

const recipe: DatasetRecipe = {
  format: 'tagflow-recipe',
  formatVersion: 1,
  tool: 'tagflow 0.1.0',
  reproduce: 'tagflow reproduce path/to/tagflow-test-tags --inputs path/to/inputs',
  config: { name: 'run-0001', seed: 42 },
  inputs: [{ input: 'taxonomy', file: 'taxonomy.json', bytes: 10, sha256: 'e'.repeat(64) }],
};

describe('verifying a published dataset against its marker', () => {
  let fixture: SplitFixture;
  let hub: FakeHub;
  let folder: string;
  beforeAll(async () => {
    fixture = await splitFixture(40);
    hub = await startFakeHub({ token: TOKEN });
    folder = join(fixture.dir, 'published');
    await publish(pathToFileURL(folder).href, { csv: true });
  });
  afterAll(async () => {
    await hub.close();
    rmSync(fixture.dir, { recursive: true, force: true });
  });

  const publish = (target: string, overrides: Partial<Parameters<typeof publishDataset>[0]> = {}) =>
    publishDataset({
      target,
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      recipe,
      hub: { accessToken: TOKEN, hubUrl: hub.url },
      workDir: join(fixture.dir, 'work'),
      ...overrides,
    });
  const folderSource = (dir: string) => openDatasetSource({ kind: 'folder', dir });
  const hubSource = (repo: string, revision?: string) =>
    openDatasetSource({ kind: 'hub', repo, revision }, { accessToken: TOKEN, hubUrl: hub.url });

  it('finds every file as published, tagflow.yaml included and linked from the card', async () => {
    const result = await verifyDataset(folderSource(folder));
    expect(result.problems).toEqual([]);
    const paths = result.marker.files.map((f) => f.path);
    expect(paths).toContain(RECIPE_FILE);
    expect(result.files).toBe(paths.length);
    const yaml = result.marker.files.find((f) => f.path === RECIPE_FILE)!;
    const card = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(card).toContain(`| recipe | [tagflow.yaml](tagflow.yaml) (sha256 \`${yaml.sha256}\`)`);
    expect(card).toContain(
      `| input \`taxonomy\` | \`taxonomy.json\`, 10 bytes, sha256 \`${'e'.repeat(64)}\` |`,
    );
    expect(readFileSync(join(folder, RECIPE_FILE), 'utf8')).toContain(recipe.reproduce);
  });

  it('names altered, missing and extra files', async () => {
    const copy = join(fixture.dir, 'tampered');
    cpSync(folder, copy, { recursive: true });
    const parquet = join(copy, 'data/train-00000-of-00001.parquet');
    const bytes = readFileSync(parquet);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(parquet, bytes);
    writeFileSync(join(copy, 'README.md'), `${readFileSync(join(copy, 'README.md'), 'utf8')} `);
    rmSync(join(copy, 'csv/test.csv'));
    writeFileSync(join(copy, 'notes.txt'), 'mine');
    const { problems } = await verifyDataset(folderSource(copy));
    expect(problems.map((p) => [p.kind, p.path])).toEqual([
      ['altered', 'README.md'],
      ['missing', 'csv/test.csv'],
      ['altered', 'data/train-00000-of-00001.parquet'],
      ['extra', 'notes.txt'],
    ]);
    expect(problems[0].detail).toMatch(/^expected \d+ bytes, found \d+$/);
    expect(describeProblem(problems[2])).toMatch(
      /^altered: data\/train-00000-of-00001\.parquet \(expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}\)$/,
    );

    // The same check tells a reproduction from the dataset it reproduces.
    const published = await readDatasetMarker(folderSource(folder));
    expect(await compareWithPublished(folder, published)).toEqual([]);
    const diff = await compareWithPublished(copy, published);
    expect(diff.map((p) => p.path)).toEqual([
      'README.md',
      'csv/test.csv',
      'data/train-00000-of-00001.parquet',
      'notes.txt',
    ]);
    writeFileSync(
      join(copy, DATASET_MARKER),
      readFileSync(join(folder, DATASET_MARKER), 'utf8').replace('run-0001', 'run-0002'),
    );
    expect((await compareWithPublished(copy, published)).map(describeProblem)).toContain(
      'altered: .tagflow-dataset.json (its header differs)',
    );
  });

  it('says when the marker is missing or invalid', async () => {
    const copy = join(fixture.dir, 'unmarked');
    cpSync(folder, copy, { recursive: true });
    rmSync(join(copy, DATASET_MARKER));
    await expect(verifyDataset(folderSource(copy))).rejects.toThrow(
      /is not a tagflow dataset, or not a whole one: it has no \.tagflow-dataset\.json/,
    );
    writeFileSync(join(copy, DATASET_MARKER), '{"format": "tagflow-dataset", "files": 3}');
    const err = (await verifyDataset(folderSource(copy)).catch((e) => e)) as Error;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/its \.tagflow-dataset\.json is invalid \(formatVersion/);
    await expect(verifyDataset(folderSource(join(copy, 'nope')))).rejects.toThrow(/no such folder/);
  });

  it('verifies a Hub repo as published, at a revision too; a republish removes stale files only', async () => {
    const first = await publish('hf://datasets/me/tags');
    const at = first.commit!.oid;
    expect((await verifyDataset(hubSource('me/tags'))).problems).toEqual([]);
    const listed = await hubSource('me/tags').list();
    // Parquet is checked by the sha256 the Hub keeps for LFS files, the rest by downloading.
    expect(listed.find((e) => e.path.endsWith('.parquet'))?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(listed.find((e) => e.path === 'README.md')?.sha256).toBeUndefined();

    // A file added by hand stays; the shards of a publish with more of them go once fewer remain.
    const notes = join(fixture.dir, 'notes.md');
    writeFileSync(notes, 'hand-written');
    await publishToHub({
      repo: 'me/tags',
      runId: 'hand',
      files: [{ path: 'notes.md', localPath: notes }],
      accessToken: TOKEN,
      hubUrl: hub.url,
    });
    const sharded = await publish('hf://datasets/me/tags', {
      card: { ...fixture.card, runId: 'run-sharded' },
      maxShardBytes: 4096,
    });
    expect(sharded.files.filter((f) => f.path.startsWith('data/train-')).length).toBeGreaterThan(1);
    const verifiedSharded = await verifyDataset(hubSource('me/tags'));
    expect(verifiedSharded.problems).toEqual([{ kind: 'extra', path: 'notes.md' }]);
    await publish('hf://datasets/me/tags', { card: { ...fixture.card, runId: 'run-again' } });
    const paths = (await hubSource('me/tags').list()).map((e) => e.path);
    expect(paths.filter((p) => p.startsWith('data/train-'))).toEqual([
      'data/train-00000-of-00001.parquet',
    ]);
    expect(paths).toContain('notes.md');
    expect((await verifyDataset(hubSource('me/tags'))).problems).toEqual([
      { kind: 'extra', path: 'notes.md' },
    ]);

    // The first commit still verifies as itself.
    const old = await verifyDataset(hubSource('me/tags', at));
    expect(old.problems).toEqual([]);
    expect(old.marker.runId).toBe('run-0001');
  });
});
