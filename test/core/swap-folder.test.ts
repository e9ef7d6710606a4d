import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { swapFolderInto } from '../../core/swap-folder.js';
import { tempDir } from '../helpers/pipeline.js';

function folder(path: string, content: string): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'f'), content);
  return path;
}

describe('swapFolderInto', () => {
  it('puts the ready folder in place of the old one, or of nothing', () => {
    const dir = tempDir('swap');
    swapFolderInto(folder(join(dir, 'new1'), 'one'), join(dir, 'target'), join(dir, 'aside'));
    expect(readFileSync(join(dir, 'target', 'f'), 'utf8')).toBe('one');
    swapFolderInto(folder(join(dir, 'new2'), 'two'), join(dir, 'target'), join(dir, 'aside'));
    expect(readFileSync(join(dir, 'target', 'f'), 'utf8')).toBe('two');
    expect(existsSync(join(dir, 'aside'))).toBe(false);
    expect(existsSync(join(dir, 'new2'))).toBe(false);
  });

  it('puts the old folder back when the new one cannot be moved in', () => {
    const dir = tempDir('swap-fail');
    folder(join(dir, 'target'), 'old');
    expect(() =>
      swapFolderInto(join(dir, 'missing'), join(dir, 'target'), join(dir, 'aside')),
    ).toThrow(/ENOENT/);
    expect(readFileSync(join(dir, 'target', 'f'), 'utf8')).toBe('old');
    expect(existsSync(join(dir, 'aside'))).toBe(false);
  });
});
