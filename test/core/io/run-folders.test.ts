import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ArtifactStore, LocalArtifactStore } from '../../../core/io/artifact-store.js';
import { listRunFolders, removeRunFolders } from '../../../core/io/run-folders.js';
import { S3ArtifactStore } from '../../../core/io/s3-artifact-store.js';
import { tempDir } from '../../helpers/pipeline.js';
import { useS3Server } from '../../helpers/s3-server.js';

const s3 = useS3Server();

const kinds: [string, () => Promise<ArtifactStore>][] = [
  ['a local folder', async () => new LocalArtifactStore(tempDir('run-folders'))],
  [
    'S3',
    async () =>
      new S3ArtifactStore(`s3://${await s3.server.createBucket()}/artifacts`, {
        cache: { dir: tempDir('s3-cache'), maxBytes: 1e6 },
      }),
  ],
];

async function storeWithRuns(open: () => Promise<ArtifactStore>) {
  const store = await open();
  const file = async (key: string, bytes: number) => {
    writeFileSync(store.writePath(key), Buffer.alloc(bytes));
    await store.commit(key);
  };
  await file('runs/a/generated/t000.arrow', 1000);
  await file('runs/a/run.json', 20);
  await store.writeJson('runs/a/published.json', { target: 'file:///x/a' });
  await file('runs/b/generated/t000.arrow', 300);
  return store;
}

describe.each(kinds)('run folders in %s', (_, open) => {
  it('lists each run with its size, file count and where it was published', async () => {
    const runs = await listRunFolders(await storeWithRuns(open));
    expect(runs.map((r) => [r.runId, r.files, r.published])).toEqual([
      ['a', 3, 'file:///x/a'],
      ['b', 1, undefined],
    ]);
    expect(runs[0].bytes).toBeGreaterThan(1020);
    expect(runs[1].bytes).toBe(300);
    expect(runs[0].modified).toBeGreaterThan(Date.now() - 120_000);
    expect(await listRunFolders(await open())).toEqual([]);
  });

  it('removes the named runs and refuses a run it does not hold, naming those it does', async () => {
    const store = await storeWithRuns(open);
    await expect(removeRunFolders(store, ['a', 'zz'])).rejects.toThrow(
      /no run "zz" in the artifact store .* \(it holds: a, b\)/,
    );
    expect(await listRunFolders(store)).toHaveLength(2); // nothing removed on a refusal
    expect(await removeRunFolders(store, ['b'])).toBe(300);
    expect((await listRunFolders(store)).map((r) => r.runId)).toEqual(['a']);
  });
});
