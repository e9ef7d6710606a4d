// Plumbing for the bad-input suites (test/cli/bad-input*.test.ts): a run of the real
// `tagflow run` command against the test server on a config built from the demo inputs with
// some changes, copies of the demo inputs with a fault, and the checks every case makes (a
// non-zero exit with the expected message and no stack trace, the target and the inputs left
// as they were, and for faults found in the workflow, no activity tried twice).
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runWorkflowId } from '../../core/run-types.js';
import { REPO_ROOT, runCli, tempDir } from './pipeline.js';
import { temporalSettings, useTestTemporal } from './temporal.js';

export const dir = tempDir('bad-input');
export const demo = (file: string) => join(REPO_ROOT, 'data', 'demo', file);
export const demoPack = join(REPO_ROOT, 'models', 'demo');

/** A new file in the suite's folder holding `text`, its name `<prefix>-<uuid>.<extension>`. */
export function scratchFile(prefix: string, extension: string, text: string | Buffer): string {
  const file = join(dir, `${prefix}-${randomUUID()}.${extension}`);
  writeFileSync(file, text);
  return file;
}

/** A path in the suite's folder where nothing is. */
export function nowhere(prefix: string, extension = ''): string {
  return join(dir, `${prefix}-${randomUUID()}${extension && `.${extension}`}`);
}

/** A copy of the demo taxonomy with `change` applied to its parsed JSON. */
export function demoTaxonomyCopy(change: (taxonomy: Record<string, unknown[]>) => unknown): string {
  const taxonomy = JSON.parse(readFileSync(demo('taxonomy.json'), 'utf8'));
  const changed = change(taxonomy) ?? taxonomy;
  return scratchFile('taxonomy', 'json', JSON.stringify(changed, null, 2));
}

/** A copy of the demo pack with `change` applied, its model.json re-sealed (checksums match). */
export function demoPackCopy(
  change: (dir: string, meta: Record<string, unknown>) => void,
  { reseal = true } = {},
): string {
  const pack = join(dir, `pack-${randomUUID()}`);
  cpSync(demoPack, pack, { recursive: true });
  const meta = JSON.parse(readFileSync(join(pack, 'model.json'), 'utf8'));
  change(pack, meta);
  if (!reseal) return pack;
  for (const file of ['encoder.onnx', 'decoder.onnx']) {
    const bytes = readFileSync(join(pack, file));
    (meta.files as Record<string, unknown>)[file] = {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
    };
  }
  writeFileSync(join(pack, 'model.json'), JSON.stringify(meta, null, 2));
  return pack;
}

/** A copy of the demo catalogue with its text changed. */
export function demoCatalogueCopy(change: (text: string) => string, extension = 'csv'): string {
  return scratchFile('catalogue', extension, change(readFileSync(demo('catalogue.csv'), 'utf8')));
}

/** A copy of the demo reference corpus with its text changed. */
export function demoCorpusCopy(change: (text: string) => string, extension = 'csv'): string {
  return scratchFile('corpus', extension, change(readFileSync(demo('corpus.csv'), 'utf8')));
}

interface InputFiles {
  taxonomy?: unknown;
  catalogue?: { path?: unknown };
  counts?: { reference?: unknown };
  evaluate?: { reference?: unknown };
  model?: { pack?: unknown };
}

/** sha256 of every file a config reads (taxonomy, catalogue, corpora, pack), by path. */
export function inputDigests(config: InputFiles): Record<string, string> {
  const files = [
    config.taxonomy,
    config.catalogue?.path,
    config.counts?.reference,
    config.evaluate?.reference,
  ];
  const pack = config.model?.pack;
  if (typeof pack === 'string' && existsSync(pack) && statSync(pack).isDirectory())
    files.push(...readdirSync(pack).map((f) => join(pack, f)));
  return Object.fromEntries(
    files
      .filter((f): f is string => typeof f === 'string' && existsSync(f) && statSync(f).isFile())
      .map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]),
  );
}

/** Lines that look like a JavaScript stack frame. */
export const STACK_FRAME = /^\s+at .+[(:]\d+/m;

/** One bad input: the config's changes, the message it must end with, where it is found. */
export interface BadInputCase {
  what: string;
  changes: () => Record<string, unknown>;
  message: RegExp;
  /** Found by the workflow (then it must fail without retries), not before submitting. */
  inWorkflow: boolean;
  /** The command line before the common options (default `run --config <file>`). */
  args?: (file: string) => string[];
  /** The config file's text (default: the config as YAML). */
  text?: (config: Record<string, unknown>) => string;
}

function writeConfig(
  name: string,
  changes: Record<string, unknown>,
  text: (config: Record<string, unknown>) => string = (config) => stringify(config),
): { file: string; target: string; config: Record<string, unknown> } {
  const target = join(dir, 'out', name);
  const config = {
    name,
    taxonomy: demo('taxonomy.json'),
    catalogue: { path: demo('catalogue.csv') },
    counts: { mode: 'fit', reference: demo('corpus.csv') },
    model: { pack: demoPack },
    output: { target: `file://${target}` },
    artifacts: join(dir, 'artifacts'),
    ...changes,
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text(config));
  return {
    file,
    config,
    target:
      (changes.output as { target?: string } | undefined)?.target?.replace('file://', '') ?? target,
  };
}

/** Test workers and a client for the calling describe block, and the suite's run and checks. */
export function useBadInputRuns() {
  const temporal = useTestTemporal();

  async function run(
    name: string,
    changes: Record<string, unknown>,
    options: Pick<BadInputCase, 'args' | 'text'> = {},
  ) {
    const { file, target, config } = writeConfig(name, changes, options.text);
    const inputs = inputDigests(config);
    const configDigest = createHash('sha256').update(readFileSync(file)).digest('hex');
    const started = Date.now();
    const cli = await runCli(
      [
        ...(options.args ?? ((f) => ['run', '--config', f]))(file),
        '--no-progress',
        '--queue-prefix',
        temporal.workers.queuePrefix,
      ],
      // The default log level, so that a `[WARN]` dump would show.
      { env: { TEMPORAL_ADDRESS: temporalSettings().address, TAGFLOW_LOG_LEVEL: undefined } },
    );
    return {
      ...cli,
      seconds: (Date.now() - started) / 1000,
      target,
      file,
      inputs,
      /** The digests of the inputs and of the config file now. */
      inputsNow: () => ({
        ...inputDigests(config),
        config: createHash('sha256').update(readFileSync(file)).digest('hex'),
      }),
      inputsBefore: { ...inputs, config: configDigest },
    };
  }

  /** The run's workflow failed, and no activity was tried more than once. */
  async function expectFailedWithoutRetries(name: string) {
    const handle = temporal.client.workflow.getHandle(runWorkflowId(name));
    expect((await handle.describe()).status.name).toBe('FAILED');
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).flatMap(
      (e) => e.activityTaskStartedEventAttributes?.attempt ?? [],
    );
    expect(attempts.length).toBeGreaterThan(0);
    expect(Math.max(...attempts)).toBe(1);
  }

  /** One test per case: refused at once, with its message, nothing written or changed. */
  function refuses(cases: BadInputCase[]) {
    for (const c of cases) {
      it(`refuses ${c.what}`, async () => {
        const name = `bad-${randomUUID().slice(0, 8)}`;
        const result = await run(name, c.changes(), c);
        const output = result.stdout + result.stderr;
        expect(result.code, output).not.toBe(0);
        expect(result.stderr).toMatch(c.message);
        // Flags commander refuses are reported by commander itself (`error: option …`).
        expect(result.stderr).toMatch(c.args ? /^(tagflow|error): /m : /^tagflow: /m);
        expect(output).not.toMatch(STACK_FRAME);
        expect(output).not.toMatch(/\[WARN\]/);
        expect(result.seconds).toBeLessThan(30);
        expect(existsSync(result.target)).toBe(false);
        expect(result.inputsNow()).toEqual(result.inputsBefore);
        if (c.inWorkflow) await expectFailedWithoutRetries(name);
        else await expectNotSubmitted(name);
      });
    }
  }

  /** No workflow was started for the run. */
  async function expectNotSubmitted(name: string) {
    const handle = temporal.client.workflow.getHandle(runWorkflowId(name));
    await expect(handle.describe()).rejects.toThrow(/not found/i);
  }

  return { run, expectFailedWithoutRetries, refuses };
}
