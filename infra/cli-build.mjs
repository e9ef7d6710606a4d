// The `tagflow` command without a TypeScript transform on its path: cli/main.ts and everything
// it imports bundled by esbuild (tsx's own, always installed) under .tagflow/cli-build/,
// rebuilt when any bundled source changes (checked by the size and mtime of each: a few
// milliseconds). Through tsx's loader a cold `tagflow` process spends about 0.8 s more before
// it does anything (every module through its hooks, source maps; docs/speed.md). Packages
// stay outside the bundle (node_modules); each file's `import.meta.url` keeps pointing at the
// file itself, so paths relative to a source (the demo config, the inference thread,
// package.json) resolve as before. infra/dev-server.ts is a second entry sharing its chunk
// with the first, so the launcher can start the embedded dev server while the rest loads.
// activities/stage-thread.ts is a third: the module a worker's stage threads load
// (activities/stage-threads.ts finds it through CLI_BUILD_DIR).
//
// Plain JavaScript, Node built-ins and esbuild only: bin/tagflow.js loads it before anything
// else. TAGFLOW_NO_BUILD=1 runs the sources through tsx instead (as does any build failure).

import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = {
  main: 'cli/main.ts',
  'dev-server': 'infra/dev-server.ts',
  'stage-thread': 'activities/stage-thread.ts',
};

/** Names, on globalThis, the folder of the bundle this process runs from (unset: the sources). */
export const CLI_BUILD_DIR = Symbol.for('tagflow.cliBuildDir');

export function cliBuildDir(root = PROJECT_ROOT) {
  return join(root, '.tagflow', 'cli-build');
}

function stamp(file) {
  const s = statSync(file);
  return `${s.size}:${Math.trunc(s.mtimeMs)}`;
}

/** The build folder when every source it was made of is unchanged, else undefined. */
export function freshBuild(outDir = cliBuildDir()) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
    // Another Node, or a copy of the checkout (the bundle names its sources by absolute path).
    if (manifest.node !== process.version || manifest.root !== PROJECT_ROOT) return undefined;
    for (const [file, expected] of Object.entries(manifest.inputs))
      if (stamp(join(PROJECT_ROOT, file)) !== expected) return undefined;
    for (const name of Object.keys(ENTRIES)) statSync(join(manifest.dir, `${name}.js`));
  } catch {
    return undefined;
  }
  return manifest.dir;
}

/** esbuild plugin: `import.meta.url` of each bundled source becomes that source's own URL. */
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|js|mjs)$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      return {
        contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: /\.m?ts$/.test(args.path) ? 'ts' : 'js',
      };
    });
  },
};

/** Bundles the entries into a new folder under `outDir`; resolves with that folder. */
export async function buildCli(outDir = cliBuildDir()) {
  const esbuild = await import('esbuild');
  // Stamps are taken before the build: a source edited meanwhile makes the next start rebuild.
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([k, v]) => [k, join(PROJECT_ROOT, v)]),
    ),
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: join(outDir, 'pending'),
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [keepImportMetaUrl],
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs))
    if (!file.startsWith('node_modules/')) inputs[file] = stamp(join(PROJECT_ROOT, file));
  // Named by its contents: identical builds (two processes at once) share one folder.
  const hash = createHash('sha256');
  for (const file of result.outputFiles) hash.update(file.path).update(file.contents);
  const id = `build-${hash.digest('hex').slice(0, 16)}`;
  const dir = join(outDir, id);
  if (!existsSync(dir)) {
    const temp = join(outDir, `${id}.${process.pid}.tmp`);
    mkdirSync(temp, { recursive: true });
    for (const file of result.outputFiles)
      writeFileSync(join(temp, file.path.slice(join(outDir, 'pending').length + 1)), file.contents);
    try {
      renameSync(temp, dir);
    } catch {
      rmSync(temp, { recursive: true, force: true }); // another process made the same build
    }
  }
  const manifest = {
    node: process.version,
    root: PROJECT_ROOT,
    esbuild: esbuild.version,
    dir,
    inputs,
  };
  const mtemp = join(outDir, `manifest.json.${process.pid}.tmp`);
  writeFileSync(mtemp, `${JSON.stringify(manifest, null, 1)}\n`);
  renameSync(mtemp, join(outDir, 'manifest.json'));
  // A process keeps loading parts of its build lazily (a long-lived server or worker too), so
  // only builds nothing has used for a week go.
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  for (const name of readdirSync(outDir)) {
    const path = join(outDir, name);
    if (name.startsWith('build-') && name !== id && statSync(path).mtimeMs < weekAgo)
      rmSync(path, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Loads the command: `main` (cli/main.ts) from the bundle (built first when a source changed),
 * or through tsx when TAGFLOW_NO_BUILD is set or the bundle cannot be made or loaded (a
 * read-only checkout, say). With `beforeMain`, infra/dev-server.ts is loaded first and handed
 * to it (the same module instance main uses), so work can start while main loads.
 */
export async function loadCli({ beforeMain } = {}) {
  const trace = (line) => process.env.TAGFLOW_TRACE && process.stderr.write(`${line}\n`);
  let devServer;
  if (!process.env.TAGFLOW_NO_BUILD) {
    try {
      const dir = freshBuild() ?? (await buildCli());
      globalThis[CLI_BUILD_DIR] = dir;
      const load = (name) => import(pathToFileURL(join(dir, `${name}.js`)).href);
      if (beforeMain) {
        devServer = await load('dev-server');
        beforeMain(devServer);
      }
      // Used now: a week-old build is only removed when nothing touched it (buildCli).
      const now = new Date();
      utimesSync(dir, now, now);
      return { main: await load('main'), devServer };
    } catch (err) {
      trace(`cli build unusable, running the sources through tsx: ${err.message}`);
      delete globalThis[CLI_BUILD_DIR];
      await devServer?.stopUnclaimedDevServer();
      devServer = undefined;
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  const load = (file) => import(pathToFileURL(join(PROJECT_ROOT, file)).href);
  if (beforeMain) {
    devServer = await load(ENTRIES['dev-server']);
    beforeMain(devServer);
  }
  return { main: await load(ENTRIES.main), devServer };
}

/**
 * Will this command start an embedded dev server on <cwd>/.tagflow/temporal? `run` and
 * `demo` without TEMPORAL_ADDRESS, without --detach or help, while no `tagflow server` is up.
 * Returns the server's options then.
 */
export function embeddedServerFor(args, cwd = process.cwd(), env = process.env) {
  const [command, ...rest] = args;
  if (command !== 'run' && command !== 'demo') return undefined;
  if (env.TEMPORAL_ADDRESS) return undefined;
  if (rest.some((a) => a === '--detach' || a === '--help' || a === '-h')) return undefined;
  const state = join(resolve(cwd), '.tagflow');
  try {
    const { pid } = JSON.parse(readFileSync(join(state, 'server.json'), 'utf8'));
    process.kill(pid, 0);
    return undefined; // the background server is up: the run goes there
  } catch {
    // no background server
  }
  if (!existsSync(cwd)) return undefined;
  return { dataDir: join(state, 'temporal'), ui: !(command === 'run' && rest.includes('--no-ui')) };
}
