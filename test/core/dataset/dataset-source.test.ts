import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeLocation,
  openDatasetSource,
  parseDatasetLocation,
} from '../../../core/dataset/dataset-source.js';
import { publishToHub } from '../../../core/dataset/publish-hub.js';
import { HubAuthError, ValidationError } from '../../../core/errors.js';
import { type FakeHub, startFakeHub } from '../../helpers/fake-hub.js';
import { tempDir } from '../../helpers/pipeline.js';

const TOKEN = 'hf_sourceTestToken0123456789abcdefghij';

describe('dataset locations', () => {
  it('parses folders, file URLs and Hub repos with an optional revision', () => {
    expect(parseDatasetLocation('out/x', '/work')).toEqual({ kind: 'folder', dir: '/work/out/x' });
    expect(parseDatasetLocation('/abs/x', '/work')).toEqual({ kind: 'folder', dir: '/abs/x' });
    expect(parseDatasetLocation('file:///abs/x')).toEqual({ kind: 'folder', dir: '/abs/x' });
    expect(parseDatasetLocation('hf://datasets/me/tags')).toEqual({
      kind: 'hub',
      repo: 'me/tags',
      revision: undefined,
    });
    const pinned = parseDatasetLocation('hf://datasets/me/tags@v1.0');
    expect(pinned).toEqual({ kind: 'hub', repo: 'me/tags', revision: 'v1.0' });
    expect(describeLocation(pinned)).toBe('hf://datasets/me/tags@v1.0');
    expect(() => parseDatasetLocation('hf://models/me/x')).toThrow(
      /hf:\/\/datasets\/<owner>\/<name>/,
    );
    expect(() => parseDatasetLocation('hf://datasets/me/bad--name')).toThrow(ValidationError);
  });
});

describe('reading a dataset', () => {
  const dir = tempDir('dataset-source');
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await startFakeHub({ token: TOKEN });
    mkdirSync(join(dir, 'd', 'data'), { recursive: true });
    writeFileSync(join(dir, 'd', 'README.md'), 'card');
    writeFileSync(join(dir, 'd', 'data', 'x.parquet'), 'PAR1');
    writeFileSync(join(dir, 'd', '.tagflow-dataset.json'), '{}');
  });
  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists, reads and hashes a folder, hidden files included', async () => {
    const source = openDatasetSource({ kind: 'folder', dir: join(dir, 'd') });
    expect(await source.list()).toEqual([
      { path: '.tagflow-dataset.json', bytes: 2 },
      { path: 'README.md', bytes: 4 },
      { path: 'data/x.parquet', bytes: 4 },
    ]);
    expect((await source.read('README.md'))?.toString()).toBe('card');
    expect(await source.read('missing.md')).toBeUndefined();
    expect(await source.sha256('README.md')).toBe(
      createHash('sha256').update('card').digest('hex'),
    );
  });

  it('reads a Hub repo with the token, or without one when it is public', async () => {
    await publishToHub({
      repo: 'me/public',
      runId: 'r1',
      private: false,
      files: [
        { path: 'README.md', localPath: join(dir, 'd', 'README.md') },
        { path: 'data/x.parquet', localPath: join(dir, 'd', 'data', 'x.parquet') },
      ],
      accessToken: TOKEN,
      hubUrl: hub.url,
    });
    const saved = process.env.HF_TOKEN;
    delete process.env.HF_TOKEN;
    try {
      const open = openDatasetSource({ kind: 'hub', repo: 'me/public' }, { hubUrl: hub.url });
      expect((await open.list()).map((e) => e.path)).toEqual(['README.md', 'data/x.parquet']);
      expect((await open.read('README.md'))?.toString()).toBe('card');
      expect(await open.read('nope.md')).toBeUndefined();
      expect(await open.sha256('data/x.parquet')).toBe(
        (await open.list()).find((e) => e.path === 'data/x.parquet')?.sha256,
      );
      // A missing repo (or a private one without a token) says what may be wrong.
      const missing = openDatasetSource({ kind: 'hub', repo: 'me/none' }, { hubUrl: hub.url });
      await expect(missing.list()).rejects.toThrow(/HTTP 404; a private repo needs HF_TOKEN/);
      expect(() =>
        openDatasetSource(
          { kind: 'hub', repo: 'me/x' },
          { accessToken: 'secret', hubUrl: hub.url },
        ),
      ).toThrow(HubAuthError);
    } finally {
      if (saved !== undefined) process.env.HF_TOKEN = saved;
    }
  });
});
