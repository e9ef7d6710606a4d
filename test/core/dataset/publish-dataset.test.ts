// publishDataset's own part: parsing the target and, for the Hub, building in a scratch
// folder it cleans up. Folder and Hub publishing proper: publish-folder / publish-hub tests.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultPublishTarget,
  parsePublishTarget,
  publishDataset,
} from '../../../core/dataset/publish-dataset.js';
import { ValidationError } from '../../../core/errors.js';
import { type FakeHub, startFakeHub } from '../../helpers/fake-hub.js';
import { type SplitFixture, splitFixture } from '../../helpers/publish-fixture.js';

const TOKEN = 'hf_publishDatasetSpecToken0123456789abcd';

describe('parsePublishTarget', () => {
  it('takes absolute file URLs, decoding them, and dataset repos', () => {
    expect(parsePublishTarget('file:///srv/my%20data/')).toEqual({
      kind: 'folder',
      dir: '/srv/my data',
    });
    expect(parsePublishTarget('hf://datasets/org/name/')).toEqual({
      kind: 'hub',
      repo: 'org/name',
    });
  });

  it('refuses relative file URLs, model repos and other schemes, quoting the target', () => {
    for (const target of [
      'file://relative/dir',
      'hf://models/org/name',
      'hf://datasets/a/b/c',
      'ftp://x',
    ]) {
      expect(() => parsePublishTarget(target)).toThrow(ValidationError);
      expect(() => parsePublishTarget(target)).toThrow(`publish target "${target}"`);
    }
  });

  it('defaults to out/<name> under the working directory', () => {
    expect(defaultPublishTarget('my tags', '/a')).toBe('file:///a/out/my%20tags');
  });
});

describe('publishDataset to the Hub', () => {
  let hub: FakeHub;
  let fixture: SplitFixture;
  beforeAll(async () => {
    hub = await startFakeHub({ token: TOKEN });
    fixture = await splitFixture(20);
  });
  afterAll(() => hub.close());

  it('builds in a scratch folder under workDir and removes it, on success and on failure', async () => {
    const workDir = join(fixture.dir, 'hub-work');
    const params = {
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      hub: { accessToken: TOKEN, hubUrl: hub.url },
      workDir,
    };
    const result = await publishDataset({ ...params, target: 'hf://datasets/me/tags' });
    expect(result.commit?.alreadyPublished).toBe(false);
    expect(result.splits).toEqual(fixture.card.splits);
    expect(readdirSync(workDir)).toEqual([]);

    const failed = await publishDataset({
      ...params,
      target: 'hf://datasets/me/other',
      hub: { accessToken: 'hf_wrongTokenWrongTokenWrongToken0000', hubUrl: hub.url },
    }).catch((e) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(existsSync(workDir) && readdirSync(workDir)).toEqual([]);
  });
});
