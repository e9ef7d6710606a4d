import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../../core/io/artifact-store.js';
import { listRunFolders, removeRunFolders } from '../../../core/io/run-folders.js';
import { tempDir } from '../../helpers/pipeline.js';

function storeWithRuns() {
  const root = tempDir('run-folders');
  const file = (path: string, bytes: number) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), Buffer.alloc(bytes));
  };
  file('runs/a/generated/t000.arrow', 1000);
  file('runs/a/run.json', 20);
  writeFileSync(join(root, 'runs/a/published.json'), JSON.stringify({ target: 'file:///x/a' }));
  file('runs/b/generated/t000.arrow', 300);
  return new LocalArtifactStore(root);
}

describe('run folders', () => {
  it('lists each run with its size, file count and where it was published', () => {
    const runs = listRunFolders(storeWithRuns());
    expect(runs.map((r) => [r.runId, r.files, r.published])).toEqual([
      ['a', 3, 'file:///x/a'],
      ['b', 1, undefined],
    ]);
    expect(runs[0].bytes).toBeGreaterThan(1020);
    expect(runs[1].bytes).toBe(300);
    expect(listRunFolders(new LocalArtifactStore(tempDir('empty-store')))).toEqual([]);
  });

  it('removes the named runs and refuses a run it does not hold, naming those it does', () => {
    const store = storeWithRuns();
    expect(() => removeRunFolders(store, ['a', 'zz'])).toThrow(
      /no run "zz" in the artifact store .* \(it holds: a, b\)/,
    );
    expect(listRunFolders(store)).toHaveLength(2); // nothing removed on a refusal
    expect(removeRunFolders(store, ['b'])).toBe(300);
    expect(listRunFolders(store).map((r) => r.runId)).toEqual(['a']);
  });
});
