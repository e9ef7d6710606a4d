import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { publishDataset } from '../../../core/dataset/publish-dataset.js';
import { publishToHub } from '../../../core/dataset/publish-hub.js';
import { HubAuthError, NON_RETRYABLE_ERROR_TYPES, ValidationError } from '../../../core/errors.js';
import { type FakeHub, startFakeHub } from '../../helpers/fake-hub.js';
import { type SplitFixture, splitFixture } from '../../helpers/publish-fixture.js';

const TOKEN = 'hf_testTokenThatMustNeverLeak0123456789';

describe('publishing to the Hub (real @huggingface/hub client, local endpoint)', () => {
  let hub: FakeHub;
  let fixture: SplitFixture;

  beforeAll(async () => {
    hub = await startFakeHub({ token: TOKEN });
    fixture = await splitFixture(60);
  });
  afterAll(() => hub.close());
  afterEach(() => {
    hub.fault = undefined;
    hub.calls.length = 0;
  });

  const publish = (repo: string, overrides: Partial<Parameters<typeof publishDataset>[0]> = {}) =>
    publishDataset({
      target: `hf://datasets/${repo}`,
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      private: true,
      hub: { accessToken: TOKEN, hubUrl: hub.url },
      workDir: join(fixture.dir, 'work'),
      ...overrides,
    });

  it('creates the private dataset repo and commits every file in one commit', async () => {
    const result = await publish('someone/tags-a', { csv: true });
    const repo = hub.repos.get('someone/tags-a');
    expect(repo?.type).toBe('dataset');
    expect(repo?.visibility).toBe('private');
    const create = hub.calls.find((c) => c.path === '/api/repos/create');
    expect(JSON.parse(create!.body)).toMatchObject({
      name: 'tags-a',
      organization: 'someone',
      type: 'dataset',
      visibility: 'private',
    });

    // One commit beyond the Hub's initial one, holding exactly the files we built.
    const commitCalls = hub.calls.filter(
      (c) => c.method === 'POST' && c.path.startsWith('/api/datasets/someone/tags-a/commit/'),
    );
    expect(commitCalls).toHaveLength(1);
    expect(repo!.commits).toHaveLength(2);
    const commit = repo!.commits[1];
    expect(commit.title).toContain('(tagflow run run-0001)');
    // The files we built, and the marker listing their digests (tagflow verify reads it).
    expect([...commit.files.keys()].sort()).toEqual(
      ['.tagflow-dataset.json', ...result.files.map((f) => f.path)].sort(),
    );
    const marker = JSON.parse(commit.files.get('.tagflow-dataset.json')!.toString('utf8'));
    expect(marker).toMatchObject({ format: 'tagflow-dataset', runId: 'run-0001' });
    expect(marker.files).toEqual(result.files);
    expect(result.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['README.md', 'data/train-00000-of-00001.parquet', 'csv/train.csv']),
    );
    // Parquet went through LFS, byte for byte; the card inline.
    for (const file of result.files) {
      expect(commit.kinds.get(file.path)).toBe(file.path.endsWith('.parquet') ? 'lfsFile' : 'file');
      expect(commit.files.get(file.path)!.length).toBe(file.bytes);
    }
    expect(commit.files.get('README.md')!.toString('utf8')).toContain(
      'load_dataset("someone/tags-a")',
    );
    expect(result.commit).toMatchObject({ oid: commit.id, alreadyPublished: false });
    // Every call went to the dataset endpoints with the token.
    for (const call of hub.calls.filter((c) => !c.path.startsWith('/lfs-upload/'))) {
      expect(call.path).toMatch(
        /^\/(api\/datasets\/someone\/tags-a|api\/repos\/create|datasets\/someone\/tags-a\.git\/)/,
      );
      expect(call.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });

  it('makes no second commit when the same run publishes again', async () => {
    const first = await publish('someone/tags-b');
    const commits = hub.repos.get('someone/tags-b')!.commits.length;
    hub.calls.length = 0;
    const again = await publish('someone/tags-b');
    expect(again.commit).toEqual({ ...first.commit, alreadyPublished: true });
    expect(hub.repos.get('someone/tags-b')!.commits).toHaveLength(commits);
    expect(hub.calls.some((c) => c.path.includes('/commit/main') && c.method === 'POST')).toBe(
      false,
    );
    expect(hub.calls.some((c) => c.path.includes('/preupload/'))).toBe(false);
  });

  it('finds its commit after a lost response, and another run commits anew', async () => {
    hub.fault = (call) =>
      call.method === 'POST' && call.path.endsWith('/commit/main')
        ? { status: 502, afterHandling: true }
        : undefined;
    const lost = await publish('someone/tags-c').catch((err: Error) => err);
    expect(lost).toBeInstanceOf(Error);
    expect((lost as Error).name).toBe('Error');
    expect((lost as Error).message).toMatch(/HTTP 502.*can be retried/);
    hub.fault = undefined;
    const retried = await publish('someone/tags-c');
    expect(retried.commit?.alreadyPublished).toBe(true);
    expect(hub.repos.get('someone/tags-c')!.commits).toHaveLength(2);

    const other = await publish('someone/tags-c', {
      card: { ...fixture.card, runId: 'run-0001b' },
    });
    expect(other.commit?.alreadyPublished).toBe(false);
    expect(hub.repos.get('someone/tags-c')!.commits).toHaveLength(3);
  });

  it('uses an existing repo without creating it, and HF_TOKEN / HF_ENDPOINT from the environment', async () => {
    await publish('someone/tags-d');
    hub.calls.length = 0;
    const saved = { token: process.env.HF_TOKEN, endpoint: process.env.HF_ENDPOINT };
    process.env.HF_TOKEN = TOKEN;
    process.env.HF_ENDPOINT = hub.url;
    try {
      const result = await publishDataset({
        target: 'hf://datasets/someone/tags-d',
        splitFiles: fixture.splitFiles,
        taxonomy: fixture.taxonomy,
        card: { ...fixture.card, runId: 'run-0002' },
        workDir: join(fixture.dir, 'work'),
      });
      expect(result.commit?.alreadyPublished).toBe(false);
    } finally {
      for (const [key, value] of [
        ['HF_TOKEN', saved.token],
        ['HF_ENDPOINT', saved.endpoint],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(hub.calls.some((c) => c.path === '/api/repos/create')).toBe(false);
    expect(hub.repos.get('someone/tags-d')!.commits).toHaveLength(3);
  });

  it.each([401, 403])(
    'turns HTTP %i into a non-retryable HubAuthError without the token',
    async (status) => {
      hub.fault = (call) =>
        call.path.includes('/preupload/')
          ? { status, body: { error: `token ${TOKEN} is not allowed here` } }
          : undefined;
      const err = (await publish(`someone/tags-auth-${status}`).catch((e: Error) => e)) as Error;
      expect(err).toBeInstanceOf(HubAuthError);
      expect(NON_RETRYABLE_ERROR_TYPES).toContain(err.name);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).toContain('HF_TOKEN');
      expect(err.message).not.toContain(TOKEN);
      expect(JSON.stringify(err)).not.toContain(TOKEN);
      expect(String(err.stack)).not.toContain(TOKEN);
    },
  );

  it('refuses a wrong token with HubAuthError (the endpoint answers 401)', async () => {
    const wrong = 'hf_wrongTokenAbcdefghijklmnopqrstuvwxyz';
    const err = (await publish('someone/tags-e', {
      hub: { accessToken: wrong, hubUrl: hub.url },
    }).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(HubAuthError);
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).not.toContain(wrong);
    expect(hub.repos.has('someone/tags-e')).toBe(false);
  });

  it('asks for HF_TOKEN when there is none, and refuses one that is not a Hub token', async () => {
    const saved = process.env.HF_TOKEN;
    delete process.env.HF_TOKEN;
    try {
      const missing = (await publishToHub({
        repo: 'someone/x',
        runId: 'r',
        files: [],
        hubUrl: hub.url,
      }).catch((e) => e)) as Error;
      expect(missing).toBeInstanceOf(HubAuthError);
      expect(missing.message).toMatch(/HF_TOKEN/);
      const malformed = (await publishToHub({
        repo: 'someone/x',
        runId: 'r',
        files: [],
        hubUrl: hub.url,
        accessToken: 'secret-value-123',
      }).catch((e) => e)) as Error;
      expect(malformed).toBeInstanceOf(HubAuthError);
      expect(malformed.message).not.toContain('secret-value-123');
    } finally {
      if (saved !== undefined) process.env.HF_TOKEN = saved;
    }
    expect(hub.calls).toHaveLength(0);
  });

  it('turns 5xx into a plain, retryable Error that names the step', async () => {
    hub.fault = (call) => (call.path.includes('/commits/main') ? { status: 503 } : undefined);
    const err = (await publish('someone/tags-f').catch((e: Error) => e)) as Error;
    expect(err.name).toBe('Error');
    expect(NON_RETRYABLE_ERROR_TYPES).not.toContain(err.name);
    expect(err.message).toMatch(/HTTP 503/);
    expect(err.message).toMatch(/looking for an earlier commit/);
    expect(err.message).not.toContain(TOKEN);
  });

  it('rejects a bad repo id before any request', async () => {
    await expect(publish('someone/bad--name')).rejects.toThrow(ValidationError);
    await expect(
      publishDataset({ ...baseParams(), target: 'hf://models/someone/x' }),
    ).rejects.toThrow(/hf:\/\/datasets\/<owner>\/<name>/);
    expect(hub.calls).toHaveLength(0);
  });

  function baseParams() {
    return {
      target: '',
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      workDir: join(fixture.dir, 'work'),
    };
  }

  it('uploads the same bytes as a folder publish', async () => {
    const folder = join(fixture.dir, 'folder-copy');
    const local = await publishDataset({ ...baseParams(), target: `file://${folder}` });
    const remote = await publish('someone/tags-g');
    const commit = hub.repos.get('someone/tags-g')!.commits.at(-1)!;
    for (const file of local.files.filter((f) => f.path !== 'README.md')) {
      expect(commit.files.get(file.path)?.equals(readFileSync(join(folder, file.path)))).toBe(true);
    }
    expect(remote.files.filter((f) => f.path !== 'README.md')).toEqual(
      local.files.filter((f) => f.path !== 'README.md'),
    );
  });
});
