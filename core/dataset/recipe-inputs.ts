// `tagflow reproduce` finds a recipe's inputs by content: each file the recipe lists is looked
// for in the given folders (recursively; hidden folders and node_modules skipped) by sha256,
// hashing only files of its size. What is missing or differs is reported with both digests.
// The files found are then staged under the names the recipe gives them (symbolic links, or
// copies where links cannot be made), so the run sees the same file names as the original.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import type { DatasetRecipe, InputField, RecipeInput } from './recipe.js';

export interface FoundInput {
  input: RecipeInput;
  /** The absolute path of the file with its digest. */
  path: string;
}

export interface InputSearch {
  found: FoundInput[];
  /** One line per input not found: its field, file, digest, and what was there instead. */
  problems: string[];
}

interface Candidate {
  path: string;
  bytes: number;
}

function listFiles(dir: string, out: Candidate[]): Candidate[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && entry.name !== 'node_modules') listFiles(path, out);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      try {
        const stat = statSync(path);
        if (stat.isFile()) out.push({ path, bytes: stat.size });
      } catch {
        // a dangling link
      }
    }
  }
  return out;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Looks for every input of a recipe in `dirs`; see the file comment. */
export async function findRecipeInputs(
  inputs: readonly RecipeInput[],
  dirs: readonly string[],
): Promise<InputSearch> {
  const roots = dirs.map((d) => resolve(d));
  const files: Candidate[] = [];
  for (const root of roots) {
    let isDir = false;
    try {
      isDir = statSync(root).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new ValidationError(`--inputs ${root}: no such folder`);
    listFiles(root, files);
  }
  const hashes = new Map<string, Promise<string>>();
  const hashOf = (path: string) => {
    let hash = hashes.get(path);
    if (!hash) {
      hash = sha256Of(path);
      hashes.set(path, hash);
    }
    return hash;
  };

  const found: FoundInput[] = [];
  const problems: string[] = [];
  for (const input of inputs) {
    // Files of its size, those of its name first: a file of another size cannot match.
    const candidates = files
      .filter((f) => f.bytes === input.bytes)
      .sort(
        (a, b) => Number(basename(b.path) === input.file) - Number(basename(a.path) === input.file),
      );
    let match: string | undefined;
    for (const c of candidates) {
      if ((await hashOf(c.path)) === input.sha256) {
        match = c.path;
        break;
      }
    }
    if (match) {
      found.push({ input, path: match });
      continue;
    }
    const named = files.filter((f) => basename(f.path) === input.file);
    const seen = await Promise.all(
      named.map(
        async (f) => `${f.path} with sha256 ${await hashOf(f.path)} (${int(f.bytes)} bytes)`,
      ),
    );
    problems.push(
      `input ${input.input}: ${input.file} with sha256 ${input.sha256} (${int(input.bytes)} bytes) is not in ${roots.join(', ')}; ` +
        (seen.length ? `found ${seen.join(', ')}` : `no file there has that digest or that name`),
    );
  }
  return { found, problems };
}

/**
 * Stages the found inputs in `dir` (emptied first) under the recipe's names: `<field>/<file>`,
 * and the model pack as `model.pack/<pack folder>/<file>`. Returns the path for each field.
 */
export function stageInputs(
  recipe: DatasetRecipe,
  found: readonly FoundInput[],
  dir: string,
): Partial<Record<InputField, string>> {
  rmSync(dir, { recursive: true, force: true });
  const model = recipe.config.model as { pack?: unknown } | undefined;
  const packName = basename(typeof model?.pack === 'string' ? model.pack : 'model');
  const paths: Partial<Record<InputField, string>> = {};
  for (const { input, path } of found) {
    const folder =
      input.input === 'model.pack' ? join(dir, input.input, packName) : join(dir, input.input);
    const target = join(folder, input.file);
    mkdirSync(folder, { recursive: true });
    try {
      symlinkSync(path, target);
    } catch {
      copyFileSync(path, target);
    }
    paths[input.input] = input.input === 'model.pack' ? folder : target;
  }
  return paths;
}
