import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  cacheSettingsFromEnv,
  DEFAULT_CACHE_BYTES,
  FileCache,
  fileCache,
  parseByteSize,
} from '../../../core/io/local-cache.js';
import { tempDir } from '../../helpers/pipeline.js';

/** A fetch that writes `text` and counts its calls. */
function fetcher(text: string, etag: string) {
  const calls = { n: 0 };
  const fetch = async (path: string) => {
    calls.n++;
    writeFileSync(path, text);
    return { etag, bytes: Buffer.byteLength(text) };
  };
  return { fetch, calls };
}

describe('the local file cache', () => {
  it('fetches once per ETag, and again when the ETag changes', async () => {
    const cache = new FileCache({ dir: tempDir('cache'), maxBytes: 1e6 });
    const v1 = fetcher('one', '"1"');
    const path = await cache.acquire('bucket/runs/r/a.arrow', '"1"', v1.fetch);
    expect(path).toBe(join(cache.dir, 'objects', 'bucket/runs/r/a.arrow'));
    expect(await cache.acquire('bucket/runs/r/a.arrow', '"1"', v1.fetch)).toBe(path);
    expect(v1.calls.n).toBe(1);
    const v2 = fetcher('two!', '"2"');
    await cache.acquire('bucket/runs/r/a.arrow', '"2"', v2.fetch);
    expect(v2.calls.n).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe('two!');
    expect(cache.bytes).toBe(4);
  });

  it('fetches a file once however many ask for it at the same time', async () => {
    const cache = new FileCache({ dir: tempDir('cache'), maxBytes: 1e6 });
    const slow = fetcher('x', '"1"');
    const paths = await Promise.all(
      Array.from({ length: 5 }, () => cache.acquire('b/k', '"1"', slow.fetch)),
    );
    expect(new Set(paths).size).toBe(1);
    expect(slow.calls.n).toBe(1);
  });

  it('keeps pinned files over its bound and evicts the least recently used once released', async () => {
    const cache = new FileCache({ dir: tempDir('cache'), maxBytes: 11 });
    const a = await cache.acquire('b/a', 'e', fetcher('123456', 'e').fetch);
    const b = await cache.acquire('b/b', 'e', fetcher('123456', 'e').fetch);
    expect(cache.bytes).toBe(12);
    expect([existsSync(a), existsSync(b)]).toEqual([true, true]);
    cache.release('b/a');
    expect([existsSync(a), existsSync(b)]).toEqual([false, true]);
    expect(cache.bytes).toBe(6);
    // An uploaded file joins unpinned, and is the first to go when space is needed.
    const upload = join(tempDir('upload'), 'c');
    writeFileSync(upload, '12345');
    cache.adopt('b/c', 'e', upload, 5);
    expect(existsSync(upload)).toBe(false);
    expect(readFileSync(cache.pathOf('b/c'), 'utf8')).toBe('12345');
    await cache.acquire('b/d', 'e', fetcher('1234', 'e').fetch);
    expect(existsSync(cache.pathOf('b/c'))).toBe(false);
    cache.forget('b');
    expect(existsSync(b)).toBe(true); // still pinned
  });

  it('works in a folder of its own and removes those of processes that are gone', () => {
    const root = tempDir('cache');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    mkdirSync(join(root, `p${dead.stdout}-abcd`));
    mkdirSync(join(root, `p${process.ppid}-beef`)); // a live process's
    const cache = new FileCache({ dir: root, maxBytes: 1 });
    expect(readdirSync(root).sort()).toEqual(
      [`p${process.ppid}-beef`, cache.dir.split('/').at(-1)!].sort(),
    );
    expect(() => cache.pathOf('b/../../etc')).toThrow(ValidationError);
    expect(fileCache({ dir: root, maxBytes: 1 })).toBe(fileCache({ dir: root, maxBytes: 1 }));
  });

  it('reads its settings from TAGFLOW_CACHE_DIR and TAGFLOW_CACHE_SIZE', () => {
    expect(cacheSettingsFromEnv({}, '/work/x')).toEqual({
      dir: '/work/x/.tagflow/cache',
      maxBytes: DEFAULT_CACHE_BYTES,
    });
    expect(
      cacheSettingsFromEnv({ TAGFLOW_CACHE_DIR: 'c', TAGFLOW_CACHE_SIZE: '500MB' }, '/w'),
    ).toEqual({ dir: '/w/c', maxBytes: 500e6 });
    expect(parseByteSize('4GiB', 'x')).toBe(4 * 1024 ** 3);
    expect(parseByteSize('1234', 'x')).toBe(1234);
    expect(() => cacheSettingsFromEnv({ TAGFLOW_CACHE_SIZE: 'lots' })).toThrow(
      /^TAGFLOW_CACHE_SIZE: "lots" is not a size/,
    );
  });
});
