// The house rules of the source tree (docs/architecture.md): core/ grouped by pipeline stage,
// each group entered through its index.ts, no import circle, no file too long to read.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, sourceFiles } from './import-graph.js';

const root = join(import.meta.dirname, '../..');
const files = sourceFiles(root);
const graph = importGraph(root, files);
const GROUPS = readdirSync(join(root, 'core')).filter((n) =>
  statSync(join(root, 'core', n)).isDirectory(),
);
const MAX_LINES = 400;

describe('source layout', () => {
  it('keeps at most 12 files directly in core/, the rest in stage folders', () => {
    const direct = readdirSync(join(root, 'core')).filter((n) =>
      statSync(join(root, 'core', n)).isFile(),
    );
    expect(direct.length).toBeLessThanOrEqual(12);
    expect(GROUPS).toEqual(
      expect.arrayContaining(['inputs', 'counts', 'generation', 'dataset', 'evaluation', 'io']),
    );
  });

  it('gives every core folder an index.ts and a spec folder that mirrors it', () => {
    for (const group of GROUPS) {
      expect(files, `core/${group}/index.ts`).toContain(`core/${group}/index.ts`);
      const specs = files.filter((f) => f.startsWith(`test/core/${group}/`));
      expect(specs.length, `test/core/${group}/`).toBeGreaterThan(0);
    }
    // A spec under test/core/ names the module it tests by its path.
    for (const spec of files.filter((f) => /^test\/core\/.*\.test\.ts$/.test(f))) {
      const source = spec.replace(/^test\//, '').replace(/\.test\.ts$/, '');
      const exists = files.some((f) => f.replace(/\.(ts|mjs|mts)$/, '') === source);
      expect(exists, `${spec} has no ${source}.ts`).toBe(true);
    }
  });

  it('has no import circle', () => {
    expect(importCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('enters a core folder only through its index.ts from outside it', () => {
    const breaches: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const group = GROUPS.find((g) => target.startsWith(`core/${g}/`));
        if (!group || target === `core/${group}/index.ts`) continue;
        const inside = file.startsWith(`core/${group}/`) || file.startsWith(`test/core/${group}/`);
        if (!inside) breaches.push(`${file} → ${target}`);
      }
    }
    expect(breaches).toEqual([]);
  });

  it(`keeps product source files to ${MAX_LINES} lines`, () => {
    const product = files.filter((f) =>
      /^(core|activities|workflows|workers|cli|models|infra|data)\//.test(f),
    );
    const long = product
      .filter((f) => !/-wasm\.ts$/.test(f)) // generated: one line of base64
      .map((f) => [f, readFileSync(join(root, f), 'utf8').trimEnd().split('\n').length] as const)
      .filter(([, lines]) => lines > MAX_LINES)
      .map(([f, lines]) => `${f}: ${lines}`);
    expect(long).toEqual([]);
  });
});

describe('importCycles', () => {
  it('finds a circle and names its files in order', () => {
    const cycles = importCycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
        ['d', ['a']],
      ]),
    );
    expect(cycles).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('finds none in a tree with shared leaves', () => {
    expect(
      importCycles(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });
});
