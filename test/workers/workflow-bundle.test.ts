// The workflow bundle cache: built once by webpack, reused while the workflow sources are
// unchanged, built again when one of them (or a file they import) changes; type-only imports
// do not count, since they are not in the bundle.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_WORKFLOWS_PATH,
  loadWorkflowBundle,
  workflowBundleKey,
  workflowSources,
} from '../../workers/workflow-bundle.js';
import { REPO_ROOT } from '../helpers/pipeline.js';

// Inside the checkout: webpack resolves the SDK from the workflow files' folder upwards.
mkdirSync(join(REPO_ROOT, '.tagflow'), { recursive: true });
const dir = mkdtempSync(join(REPO_ROOT, '.tagflow', 'test-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('workflow bundle cache', () => {
  it('reuses the cached bundle while the sources are unchanged and rebuilds when they change', async () => {
    const src = join(dir, 'project', 'workflows');
    const cacheDir = join(dir, 'cache');
    const workflowsPath = join(src, 'index.ts');
    mkdirSync(src, { recursive: true });
    writeFileSync(
      workflowsPath,
      "export { greet } from './greet.js';\nimport type { Shape } from './types.js';\nexport type S = Shape;\n",
    );
    writeFileSync(
      join(src, 'greet.ts'),
      "import { word } from './word.js';\nexport async function greet(): Promise<string> {\n  return word;\n}\n",
    );
    writeFileSync(join(src, 'word.ts'), "export const word = 'first';\n");
    writeFileSync(join(src, 'types.ts'), 'export interface Shape { a: number }\n');

    expect(workflowSources(workflowsPath).files.map((f) => f.slice(src.length + 1))).toEqual([
      'greet.ts',
      'index.ts',
      'word.ts',
    ]);

    const first = await loadWorkflowBundle({ workflowsPath, cacheDir });
    expect(first.built).toBe(true);
    expect(first.code).toContain('first');
    expect(readFileSync(first.path, 'utf8')).toBe(first.code);

    const again = await loadWorkflowBundle({ workflowsPath, cacheDir });
    expect(again.built).toBe(false);
    expect(again.key).toBe(first.key);
    expect(again.code).toBe(first.code);

    // A type-only import is erased from the bundle: changing it keeps the key.
    writeFileSync(join(src, 'types.ts'), 'export interface Shape { a: number; b: string }\n');
    expect(workflowBundleKey(workflowsPath)).toBe(first.key);

    // A file reached through an import changes: another key, a new bundle, the old one gone.
    writeFileSync(join(src, 'word.ts'), "export const word = 'second';\n");
    const changed = await loadWorkflowBundle({ workflowsPath, cacheDir });
    expect(changed.built).toBe(true);
    expect(changed.key).not.toBe(first.key);
    expect(changed.code).toContain('second');
    expect(readdirSync(cacheDir)).toEqual([`workflows-${changed.key}.js`]);
    expect((await loadWorkflowBundle({ workflowsPath, cacheDir })).built).toBe(false);
  });

  it("covers the project's workflow sources and the SDK they are bundled with", () => {
    const { files, packages } = workflowSources(DEFAULT_WORKFLOWS_PATH);
    const names = files.map((f) => f.split('/').slice(-2).join('/'));
    expect(names).toContain('workflows/generate-dataset.ts');
    expect(names).toContain('core/plan.ts');
    // activities are imported for their types only: not in the bundle, not in the key
    expect(names.some((n) => n.startsWith('activities/'))).toBe(false);
    expect(packages).toContain('@temporalio/workflow');
  });
});
