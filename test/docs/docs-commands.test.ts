// The README and docs/ promise commands, configurations and links; this checks them offline:
// every `tagflow …` line of a ```sh block parses with the real commander program (nothing
// runs: every command's action is replaced), every ```yaml block is a valid run configuration,
// and every relative link, anchor and source path named in backticks exists.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../../cli/main.js';
import { parseRunConfig } from '../../core/config.js';

const root = join(import.meta.dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** The pages checked: the README, everything under docs/, and the infra README they link. */
const PAGES = [
  join(root, 'README.md'),
  ...markdownFiles(join(root, 'docs')),
  join(root, 'infra/README.md'),
];
const DOCS = PAGES.filter((p) => !p.endsWith('infra/README.md'));
const rel = (path: string) => relative(root, path);

interface Block {
  file: string;
  line: number;
  lang: string;
  text: string;
}

/** Fenced code blocks (also indented ones, inside list items). */
function codeBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  let open: { line: number; lang: string; lines: string[] } | undefined;
  text.split('\n').forEach((line, i) => {
    const fence = /^\s*```(\S*)\s*$/.exec(line);
    if (!open) {
      if (fence) open = { line: i + 1, lang: fence[1], lines: [] };
    } else if (fence && fence[1] === '') {
      blocks.push({ file, line: open.line, lang: open.lang, text: open.lines.join('\n') });
      open = undefined;
    } else {
      open.lines.push(line);
    }
  });
  return blocks;
}

/** Splits a shell line into words: quotes group, `#` after a blank starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

interface ShellLine {
  where: string;
  words: string[];
}

/** The lines of ```sh blocks, continuation lines joined, comments stripped. */
function shellLines(): ShellLine[] {
  const lines: ShellLine[] = [];
  for (const file of DOCS) {
    for (const block of codeBlocks(file, readFileSync(file, 'utf8'))) {
      if (!['sh', 'bash', 'shell'].includes(block.lang)) continue;
      const joined = block.text.replace(/\\\n/g, ' ').split('\n');
      joined.forEach((line, i) => {
        const words = shellWords(line);
        if (words.length) lines.push({ where: `${rel(file)}:${block.line + 1 + i}`, words });
      });
    }
  }
  return lines;
}

/** The arguments after `tagflow`, or undefined when the line runs something else. */
function tagflowArgs(words: string[]): string[] | undefined {
  if (words[0] === 'tagflow') return words.slice(1);
  if (words[0] === 'node' && words[1] === 'bin/tagflow.js') return words.slice(2);
  return undefined;
}

/**
 * Parses `args` as `tagflow args…` with the real program, every action replaced and every
 * exit turned into a thrown CommanderError. Resolves to the command that would have run.
 */
async function parseTagflow(args: string[]): Promise<Command> {
  const program = buildProgram(() => {});
  let invoked: Command | undefined;
  const prepare = (command: Command) => {
    command.exitOverride();
    command.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    if (command.commands.length === 0) {
      command.action((...actionArgs: unknown[]) => {
        invoked = actionArgs[actionArgs.length - 1] as Command;
      });
    }
    command.commands.forEach(prepare);
  };
  prepare(program);
  await program.parseAsync(['node', 'tagflow', ...args]);
  if (!invoked) throw new Error(`no command ran for: tagflow ${args.join(' ')}`);
  return invoked;
}

function commandPath(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

/** GitHub's heading anchors of a markdown file. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = readFileSync(file, 'utf8').replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = match[1]
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Markdown text outside fenced code blocks. */
function prose(file: string): string {
  return readFileSync(file, 'utf8').replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');
}

describe('shell lines in README.md and docs/', () => {
  const lines = shellLines();
  const tagflowLines = lines.flatMap(({ where, words }) => {
    const args = tagflowArgs(words);
    return args ? [{ where, args }] : [];
  });

  it('finds the documented commands', () => {
    expect(tagflowLines.length).toBeGreaterThan(20);
    const commands = new Set(tagflowLines.map((l) => l.args.filter((a) => !a.startsWith('-'))[0]));
    for (const c of ['run', 'status', 'worker', 'schedule', 'doctor', 'evaluate', 'model']) {
      expect(commands, c).toContain(c);
    }
  });

  it('parses every tagflow line with the real program, options included', async () => {
    const failures: string[] = [];
    for (const { where, args } of tagflowLines) {
      const placeholder = args.find((a) => /[<>]|\.\.\.|…/.test(a));
      if (placeholder) {
        failures.push(`${where}: placeholder ${placeholder} in a runnable line`);
        continue;
      }
      let command: Command;
      try {
        command = await parseTagflow(args);
      } catch (err) {
        failures.push(`${where}: tagflow ${args.join(' ')}: ${(err as Error).message}`);
        continue;
      }
      const path = commandPath(command);
      if (args.slice(0, path.length).join(' ') !== path.join(' ')) {
        failures.push(`${where}: ran "${path.join(' ')}" for tagflow ${args.join(' ')}`);
      }
      for (const arg of args.filter((a) => a.startsWith('-'))) {
        const flag = arg.split('=')[0];
        if (!command.options.some((o) => o.long === flag || o.short === flag)) {
          failures.push(`${where}: ${path.join(' ')} has no option ${flag}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('names npm scripts that exist and tsx scripts whose files exist', () => {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
    const failures: string[] = [];
    for (const { where, words } of lines) {
      if (words[0] === 'npm' && (words[1] === 'start' || words[1] === 'test')) {
        if (!scripts[words[1]]) failures.push(`${where}: no npm script ${words[1]}`);
      }
      if (words[0] === 'npm' && words[1] === 'run' && !scripts[words[2]]) {
        failures.push(`${where}: no npm script ${words[2]}`);
      }
      if (words[0] === 'npx' && words[1] === 'tsx' && !existsSync(join(root, words[2]))) {
        failures.push(`${where}: no file ${words[2]}`);
      }
      if (words[0] === 'bash' && !existsSync(join(root, words[1]))) {
        failures.push(`${where}: no file ${words[1]}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses what the program does not have (the checks can fail)', async () => {
    const code = async (args: string[]) => {
      try {
        await parseTagflow(args);
        return 'parsed';
      } catch (err) {
        return err instanceof CommanderError ? err.code : String(err);
      }
    };
    expect(await code(['run', '--config', 'my-run.yaml'])).toBe('parsed');
    expect(await code(['run', '--config', 'my-run.yaml', '--bogus'])).toBe(
      'commander.unknownOption',
    );
    expect(await code(['run'])).toBe('commander.missingMandatoryOptionValue');
    expect(await code(['launch', '--config', 'my-run.yaml'])).toBe('commander.unknownCommand');
    expect(await code(['status', 'a', 'b'])).toBe('commander.excessArguments');
    expect(await code(['worker', '--device', 'tpu'])).toBe('commander.invalidArgument');
  });

  it('splits shell words as a shell does, comments stripped', () => {
    expect(shellWords('tagflow schedule create --cron "0 3 * * MON"   # weekly')).toEqual([
      'tagflow',
      'schedule',
      'create',
      '--cron',
      '0 3 * * MON',
    ]);
    expect(shellWords("echo 'a # b'#c # d")).toEqual(['echo', 'a # b#c']);
    expect(shellWords('   # only a comment')).toEqual([]);
  });
});

describe('run configurations in README.md and docs/', () => {
  /** What a partial example is merged onto: the README's smallest configuration. */
  const BASE = {
    name: 'docs-check',
    taxonomy: 'taxonomy.json',
    catalogue: { path: 'tracks.csv' },
    counts: { mode: 'fit', reference: 'corpus.csv' },
    model: { pack: 'models/mine' },
  };
  const yamlBlocks = DOCS.flatMap((file) =>
    codeBlocks(file, readFileSync(file, 'utf8')).filter((b) => /^ya?ml$/.test(b.lang)),
  );

  it('validates every yaml block (full, or merged onto the smallest config)', () => {
    expect(yamlBlocks.map((b) => rel(b.file))).toEqual(
      expect.arrayContaining(['README.md', 'docs/configuration.md']),
    );
    for (const block of yamlBlocks) {
      const where = `${rel(block.file)}:${block.line}`;
      const value = parseYaml(block.text) as Record<string, unknown>;
      const config = parseRunConfig('name' in value ? value : { ...BASE, ...value }, where);
      expect(config.name, where).toBeTruthy();
    }
  });

  it('shows the error message a bad configuration really gives', () => {
    const text = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
    const shown = codeBlocks('docs/configuration.md', text).find((b) => b.lang === 'text');
    let message = '';
    try {
      parseRunConfig({ ...BASE, generation: { chunkRows: 0 } }, 'config my-run.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(shown?.text).toBe(`tagflow: ${message}`);
  });
});

describe('links and paths in README.md and docs/', () => {
  it('points every relative link at an existing file and heading', () => {
    const failures: string[] = [];
    let checked = 0;
    for (const file of PAGES) {
      for (const match of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        checked++;
        const [path, anchor] = target.split('#');
        const resolved = path ? resolve(dirname(file), path) : file;
        if (!existsSync(resolved)) {
          failures.push(`${rel(file)}: ${target}: no such file`);
          continue;
        }
        if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) {
          failures.push(`${rel(file)}: ${target}: no heading #${anchor} in ${rel(resolved)}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  });

  it('names only source paths that exist', () => {
    const failures: string[] = [];
    const folders = 'core|activities|workflows|workers|cli|models|infra|bench|data|test|docs';
    const sourcePath = new RegExp(`^(${folders})/[A-Za-z0-9_./-]*$`);
    for (const file of DOCS) {
      for (const match of prose(file).matchAll(/`([^`\n]+)`/g)) {
        if (sourcePath.test(match[1]) && !existsSync(join(root, match[1]))) {
          failures.push(`${rel(file)}: ${match[1]}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('names activity files that exist in the pipeline tables', () => {
    const failures: string[] = [];
    for (const file of [join(root, 'README.md'), join(root, 'docs/architecture.md')]) {
      const rows = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => /^\| (\(prepare\)|train|\d|evaluate) /.test(l));
      expect(rows.length, rel(file)).toBe(10);
      for (const row of rows) {
        for (const [, name] of row.split('|')[2].matchAll(/`([\w-]+\.ts)`/g)) {
          if (!existsSync(join(root, 'activities', name))) failures.push(`${rel(file)}: ${name}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
