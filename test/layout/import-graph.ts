// The project's own import graph, read from the source text: which file imports which (static
// imports and re-exports, type-only ones included, since a reader follows those too).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

export const SOURCE_FOLDERS = [
  'core',
  'activities',
  'workflows',
  'workers',
  'cli',
  'models',
  'infra',
  'bench',
  'data',
  'test',
];
const SOURCE_FILE = /\.(ts|mts|mjs)$/;
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every source file under the given folders, as repository-relative POSIX paths. */
export function sourceFiles(root: string, folders = SOURCE_FOLDERS): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (SOURCE_FILE.test(name)) files.push(relative(root, path).split('\\').join('/'));
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return files.sort();
}

/** The repository paths a file imports (specifiers ending .js name the .ts source). */
export function importsOf(root: string, file: string, known: ReadonlySet<string>): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const targets = new Set<string>();
  for (const match of text.matchAll(SPECIFIER)) {
    const spec = posix.normalize(posix.join(posix.dirname(file), match[1]));
    const candidates = [spec, spec.replace(/\.js$/, '.ts'), spec.replace(/\.mjs$/, '.mts')];
    const target = candidates.find((c) => known.has(c));
    if (target) targets.add(target);
  }
  return [...targets];
}

/** The import graph of the given files. */
export function importGraph(root: string, files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(files.map((f) => [f, importsOf(root, f, known)]));
}

/** Import circles: each as the files on it, in import order (empty when there is none). */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

export const folderOf = (file: string) => dirname(file);
