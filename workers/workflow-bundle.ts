// The workflow bundle, built once and cached: webpack (bundleWorkflowCode) takes about two
// seconds, so a worker or an embedded run loads the bundle from .tagflow/workflow-bundle/
// instead, keyed by a hash of every source file reachable from workflows/index.ts (type-only
// imports aside: they are erased) and of the versions of the packages those files and the
// SDK's bundler bring in. A changed workflow source, or another SDK version, gives another
// key and the bundle is built again (once); older bundles are removed.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowBundle } from '@temporalio/worker';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DEFAULT_WORKFLOWS_PATH = join(PROJECT_ROOT, 'workflows', 'index.ts');
export const DEFAULT_BUNDLE_CACHE = join(PROJECT_ROOT, '.tagflow', 'workflow-bundle');
/** Packages whose code the bundler adds whatever the sources import. */
const SDK_PACKAGES = ['@temporalio/worker', '@temporalio/workflow', '@temporalio/common'];

// `import … from '…'`, `export … from '…'` (whole statements, possibly over several lines),
// `import '…'` and `import('…')`.
const FROM = /(?:^|[\n;])\s*(import|export)\s+(type\s)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g;
const BARE = /(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]/g;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => existsSync(c) && !c.endsWith('/'));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function packageVersion(name: string, root: string): string {
  for (let dir = root; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return 'missing';
  }
}

/**
 * The source files the bundle is made of (every file reachable from `workflowsPath` through
 * value imports) and the packages they import, by name.
 */
export function workflowSources(workflowsPath: string = DEFAULT_WORKFLOWS_PATH): {
  files: string[];
  packages: string[];
} {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [resolve(workflowsPath)];
  while (queue.length) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    const specifiers: string[] = [];
    for (const m of text.matchAll(FROM)) if (!m[2]) specifiers.push(m[3]);
    for (const m of text.matchAll(BARE)) specifiers.push(m[1]);
    for (const m of text.matchAll(DYNAMIC)) specifiers.push(m[1]);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (target) queue.push(target);
      } else if (!specifier.startsWith('node:')) {
        packages.add(packageName(specifier));
      }
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** The cache key: the sources' contents (by path relative to their root) and package versions. */
export function workflowBundleKey(workflowsPath: string = DEFAULT_WORKFLOWS_PATH): string {
  const { files, packages } = workflowSources(workflowsPath);
  const root = dirname(dirname(resolve(workflowsPath)));
  const hash = createHash('sha256');
  for (const name of [...new Set([...SDK_PACKAGES, ...packages])].sort())
    hash.update(`package ${name}@${packageVersion(name, root)}\n`);
  for (const file of files) {
    const body = readFileSync(file);
    hash.update(`file ${relative(root, file)} ${body.length}\n`);
    hash.update(body);
  }
  return hash.digest('hex').slice(0, 32);
}

export interface CachedWorkflowBundle extends WorkflowBundle {
  /** The cached bundle file. */
  path: string;
  key: string;
  /** True when this call ran the bundler (no cached bundle for this key). */
  built: boolean;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn: console.warn,
  error: console.error,
};

/**
 * The workflow bundle for `workflowsPath`: read from `cacheDir` when a bundle of the same
 * key is there, else built with bundleWorkflowCode and written there (atomically: a temp file
 * renamed, so concurrent processes never read half a bundle).
 */
export async function loadWorkflowBundle(
  options: { workflowsPath?: string; cacheDir?: string } = {},
): Promise<CachedWorkflowBundle> {
  const workflowsPath = options.workflowsPath ?? DEFAULT_WORKFLOWS_PATH;
  const cacheDir = options.cacheDir ?? DEFAULT_BUNDLE_CACHE;
  const key = workflowBundleKey(workflowsPath);
  const path = join(cacheDir, `workflows-${key}.js`);
  try {
    return { code: readFileSync(path, 'utf8'), path, key, built: false };
  } catch {
    // not cached yet
  }
  // Imported here: webpack is only loaded when a bundle is built.
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  try {
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, path);
    for (const name of readdirSync(cacheDir))
      if (name.startsWith('workflows-') && name !== `workflows-${key}.js` && !name.endsWith('.tmp'))
        rmSync(join(cacheDir, name), { force: true });
  } catch (err) {
    // A read-only checkout still runs: the bundle is then built once per process.
    console.warn(
      `tagflow: could not cache the workflow bundle in ${cacheDir}: ${(err as Error).message}`,
    );
  }
  return { code, path, key, built: true };
}
