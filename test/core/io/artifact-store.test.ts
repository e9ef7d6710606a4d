import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  LocalArtifactStore,
  probeWritableFolder,
  releasing,
  runKey,
} from '../../../core/io/artifact-store.js';
import { tempDir } from '../../helpers/pipeline.js';

describe('LocalArtifactStore', () => {
  it('keeps each run in its own folder under runs/<id>', async () => {
    const root = tempDir('store');
    const store = new LocalArtifactStore(root);
    expect(runKey('r1', 'dedupe', 'manifest.json')).toBe('runs/r1/dedupe/manifest.json');
    await store.writeJson(runKey('r1', 'a.json'), { run: 1 });
    await store.writeJson(runKey('r2', 'a.json'), { run: 2 });
    expect(store.path(runKey('r1', 'a.json'))).toBe(join(root, 'runs', 'r1', 'a.json'));
    expect(await store.readJson(runKey('r1', 'a.json'))).toEqual({ run: 1 });
    expect(await store.readJson(runKey('r2', 'a.json'))).toEqual({ run: 2 });
  });

  it('writes JSON atomically: the final file only, no temp files left beside it', async () => {
    const store = new LocalArtifactStore(tempDir('store'));
    const key = runKey('r', 'm.json');
    await store.writeJson(key, { v: 1 });
    await store.writeJson(key, { v: 2 });
    expect(readdirSync(store.path(runKey('r')))).toEqual(['m.json']);
    expect(JSON.parse(readFileSync(store.path(key), 'utf8'))).toEqual({ v: 2 });
  });

  it('lists keys under a prefix recursively and sorted; exists and remove act on keys and folders', async () => {
    const store = new LocalArtifactStore(tempDir('store'));
    for (const k of ['b/2.json', 'a.json', 'b/1.json', 'c/deep/x.json'])
      await store.writeJson(runKey('r', k), {});
    await store.writeJson(runKey('other', 'z.json'), {});
    expect(await store.list(runKey('r'))).toEqual([
      'runs/r/a.json',
      'runs/r/b/1.json',
      'runs/r/b/2.json',
      'runs/r/c/deep/x.json',
    ]);
    expect(await store.list('runs/none')).toEqual([]);
    expect(await store.exists(runKey('r', 'b'))).toBe(true);
    await store.remove(runKey('r', 'b'));
    expect(await store.exists(runKey('r', 'b', '1.json'))).toBe(false);
    expect(await store.list(runKey('r'))).toEqual(['runs/r/a.json', 'runs/r/c/deep/x.json']);
    await store.remove(runKey('r'));
    expect(await store.exists(runKey('r'))).toBe(false);
    expect(await store.exists(runKey('other', 'z.json'))).toBe(true);
    await store.remove(runKey('never-there'));
  });

  it('writes and reads in place: writePath is the file, commit a no-op, readLocal the files', async () => {
    const root = tempDir('store');
    const store = new LocalArtifactStore(root);
    const key = runKey('r', 'generated', 'c.arrow');
    const path = store.writePath(key);
    expect(path).toBe(join(root, 'runs', 'r', 'generated', 'c.arrow'));
    writeFileSync(path, 'bytes');
    await store.commit(key);
    expect(store.keyOf(path)).toBe(key);
    expect(store.location(key)).toBe(path);
    expect(store.scratchPath(runKey('r', 'scratch'))).toBe(join(root, 'runs', 'r', 'scratch'));
    const copies = await store.readLocal([key]);
    expect(copies.paths).toEqual([path]);
    copies.release();
    expect((await store.readLocalFolder(runKey('r', 'generated'))).paths).toEqual([
      join(root, 'runs', 'r', 'generated'),
    ]);
    expect(await store.describe(key)).toEqual({
      bytes: 5,
      sha256: createHash('sha256').update('bytes').digest('hex'),
    });
    const [entry] = await store.entries(runKey('r'));
    expect(entry).toMatchObject({ key, bytes: 5 });
    expect(entry.modified).toBeGreaterThan(Date.now() - 60_000);
  });

  it('refuses keys that escape the root', async () => {
    const parent = tempDir('store');
    const store = new LocalArtifactStore(join(parent, 'root'));
    writeFileSync(join(parent, 'outside.json'), '{}');
    for (const key of ['../outside.json', 'runs/../../x', '/etc/passwd']) {
      expect(() => store.path(key)).toThrow(ValidationError);
    }
    await expect(store.remove('../outside.json')).rejects.toThrow(/must be a relative path inside/);
    expect(existsSync(join(parent, 'outside.json'))).toBe(true);
  });

  it('resolves a relative root to an absolute one', () => {
    expect(new LocalArtifactStore('rel/store').root).toBe(join(process.cwd(), 'rel/store'));
  });

  it('turns a file in the way into a non-retryable error naming the store and the key', async () => {
    const root = tempDir('store');
    writeFileSync(join(root, 'runs'), 'a file where the runs folder goes');
    const store = new LocalArtifactStore(root);
    await expect(store.writeJson(runKey('r', 'a.json'), {})).rejects.toThrow(ValidationError);
    await expect(store.writeJson(runKey('r', 'a.json'), {})).rejects.toThrow(
      new RegExp(`^artifact store ${root}: cannot write runs/r/a\\.json: ENOTDIR`),
    );
  });
});

describe('releasing', () => {
  it('releases the copies when a loop over it ends early, by break or by a throw', async () => {
    async function* three() {
      yield 1;
      yield 2;
      yield 3;
    }
    let released = 0;
    const copies = { paths: [], release: () => released++ };
    for await (const n of releasing(copies, three())) if (n === 2) break;
    expect(released).toBe(1);
    await expect(
      (async () => {
        for await (const n of releasing(copies, three())) if (n === 1) throw new Error('boom');
      })(),
    ).rejects.toThrow('boom');
    expect(released).toBe(2);
  });
});

describe('probeWritableFolder', () => {
  const message = (dir: string, options: { create: boolean; parent?: boolean }) => {
    try {
      probeWritableFolder(dir, 'artifacts', options);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return (err as Error).message;
    }
    throw new Error('expected a ValidationError');
  };

  it('creates the folder and leaves nothing but it behind', () => {
    const root = tempDir('probe');
    const dir = join(root, 'a', 'b', 'artifacts');
    probeWritableFolder(dir, 'artifacts', { create: true });
    expect(readdirSync(dir)).toEqual([]);
    // Again, now that it exists.
    probeWritableFolder(dir, 'artifacts', { create: true });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates nothing without create, trying the nearest existing folder instead', () => {
    const root = tempDir('probe');
    probeWritableFolder(join(root, 'out', 'deeper', 'dataset'), 'output.target', {
      create: false,
      parent: true,
    });
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses a file, or a folder under a file, naming the field and the path', () => {
    const root = tempDir('probe');
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    expect(message(file, { create: true })).toBe(
      `artifacts: cannot use ${file}: it is a file, not a folder`,
    );
    expect(message(join(file, 'sub', 'artifacts'), { create: true })).toBe(
      `artifacts: cannot use ${join(file, 'sub', 'artifacts')}: ${file} is a file, not a folder`,
    );
    expect(message(join(file, 'dataset'), { create: false, parent: true })).toBe(
      `artifacts: cannot use ${join(file, 'dataset')}: ${file} is a file, not a folder`,
    );
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('refuses folders that cannot be created or written, at once (no mkdir -p loop under /proc)', () => {
    expect(message('/proc/tagflow-probe/artifacts', { create: true })).toMatch(
      /^artifacts: cannot use \/proc\/tagflow-probe\/artifacts: cannot create the folder \/proc\/tagflow-probe \(E[A-Z]+\)$/,
    );
    expect(message('/proc/tagflow-probe/dataset', { create: false, parent: true })).toMatch(
      /^artifacts: cannot use \/proc\/tagflow-probe\/dataset: cannot write a file in \/proc \(E[A-Z]+\)$/,
    );
  });
});
