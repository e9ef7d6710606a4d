// Bad input ends a run at once, as a non-retryable failure whose message names the problem;
// the CLI exits non-zero with that message and no stack trace, and the output target and the
// inputs are left as they were. Runs go through the real `tagflow run` command against the
// test server, served by workers here. Deterministic faults found in the workflow (a model
// pack whose model.json disagrees with its ONNX files, folders that cannot be written, a
// category without a catalogue column) fail without any activity being retried.
import { createHash, randomUUID } from 'node:crypto';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { NOTEBOOK_COUNTS_CONFIG } from '../../core/config.js';
import { runWorkflowId } from '../../workflows/generate-dataset.js';
import { conceptcaps } from '../helpers/conceptcaps.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';
import { temporalSettings, useTestTemporal } from '../helpers/temporal.js';

const dir = tempDir('bad-input');
const demo = (file: string) => join(REPO_ROOT, 'data', 'demo', file);

/** A copy of the demo pack with `change` applied, its model.json re-sealed (checksums match). */
function demoPackCopy(change: (dir: string, meta: Record<string, unknown>) => void): string {
  const pack = join(dir, `pack-${randomUUID()}`);
  cpSync(join(REPO_ROOT, 'models', 'demo'), pack, { recursive: true });
  const meta = JSON.parse(readFileSync(join(pack, 'model.json'), 'utf8'));
  change(pack, meta);
  for (const file of ['encoder.onnx', 'decoder.onnx']) {
    const bytes = readFileSync(join(pack, file));
    meta.files[file] = {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
    };
  }
  writeFileSync(join(pack, 'model.json'), JSON.stringify(meta, null, 2));
  return pack;
}

/** A copy of the demo catalogue with its text changed. */
function demoCatalogueCopy(change: (text: string) => string, extension = 'csv'): string {
  const file = join(dir, `catalogue-${randomUUID()}.${extension}`);
  writeFileSync(file, change(readFileSync(demo('catalogue.csv'), 'utf8')));
  return file;
}

/** sha256 of every file a config reads (taxonomy, catalogue, corpus, pack), by path. */
function inputDigests(config: {
  taxonomy?: string;
  catalogue?: { path?: string };
  counts?: { reference?: string };
  model?: { pack?: string };
}): Record<string, string> {
  const files = [config.taxonomy, config.catalogue?.path, config.counts?.reference];
  const pack = config.model?.pack;
  if (pack && existsSync(pack)) files.push(...readdirSync(pack).map((f) => join(pack, f)));
  return Object.fromEntries(
    files
      .filter((f): f is string => typeof f === 'string' && existsSync(f) && statSync(f).isFile())
      .map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]),
  );
}

/** Lines that look like a JavaScript stack frame. */
const STACK_FRAME = /^\s+at .+[(:]\d+/m;

function writeConfig(
  name: string,
  changes: Record<string, unknown>,
): { file: string; target: string; inputs: Record<string, string> } {
  const target = join(dir, 'out', name);
  const config = {
    name,
    taxonomy: demo('taxonomy.json'),
    catalogue: { path: demo('catalogue.csv') },
    counts: { mode: 'fit', reference: demo('corpus.csv') },
    model: { pack: join(REPO_ROOT, 'models', 'demo') },
    output: { target: `file://${target}` },
    artifacts: join(dir, 'artifacts'),
    ...changes,
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return {
    file,
    inputs: inputDigests(config),
    target:
      (changes.output as { target?: string } | undefined)?.target?.replace('file://', '') ?? target,
  };
}

describe('bad input', () => {
  const temporal = useTestTemporal();

  async function run(name: string, changes: Record<string, unknown>) {
    const { file, target, inputs } = writeConfig(name, changes);
    const started = Date.now();
    const cli = await runCli(
      ['run', '--config', file, '--no-progress', '--queue-prefix', temporal.workers.queuePrefix],
      {
        env: { TEMPORAL_ADDRESS: temporalSettings().address },
      },
    );
    return { ...cli, seconds: (Date.now() - started) / 1000, target, file, inputs };
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

  const cases: {
    what: string;
    changes: () => Record<string, unknown>;
    message: RegExp;
    inWorkflow: boolean;
  }[] = [
    {
      what: 'a malformed taxonomy',
      changes: () => {
        const taxonomy = JSON.parse(readFileSync(demo('taxonomy.json'), 'utf8'));
        taxonomy.mood.push(taxonomy.genre[0]);
        const file = join(dir, `taxonomy-${randomUUID()}.json`);
        writeFileSync(file, JSON.stringify(taxonomy));
        return { taxonomy: file };
      },
      message: /tag "rock" is in two categories \("genre" and "mood"\)/,
      inWorkflow: true,
    },
    {
      what: 'a model pack built for another taxonomy',
      changes: () => ({
        taxonomy: conceptcaps('concepts_to_tags.json'),
        catalogue: { path: conceptcaps('mtg_jamendo_top50tags_cleaned.csv') },
      }),
      message:
        /was built for taxonomy sha256:[0-9a-f]+.*\(96 tags\).*sha256:[0-9a-f]+.*\(200 tags\)/s,
      inWorkflow: true,
    },
    {
      what: 'a catalogue missing its id column',
      changes: () => {
        const file = join(dir, `catalogue-${randomUUID()}.csv`);
        const lines = readFileSync(demo('catalogue.csv'), 'utf8').split('\n');
        writeFileSync(file, lines.map((l) => l.replace(/^[^,]*,/, '')).join('\n'));
        return { catalogue: { path: file } };
      },
      message: /no "id" column/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue with an unknown tag',
      changes: () => {
        const file = join(dir, `catalogue-${randomUUID()}.csv`);
        writeFileSync(
          file,
          readFileSync(demo('catalogue.csv'), 'utf8').replace("['country']", "['countryy']"),
        );
        return { catalogue: { path: file } };
      },
      message: /"countryy" in genre_tags at row 1/,
      inWorkflow: true,
    },
    {
      what: 'a temperature ≤ 0',
      changes: () => ({ generation: { temperatures: [0.5, 1, 0] } }),
      message: /generation\.temperatures\[2\]: must be ≥ 0\.001/,
      inWorkflow: false,
    },
    {
      what: 'a temperature too small to divide logits by',
      changes: () => ({ generation: { temperatures: [1e-320] } }),
      message: /generation\.temperatures\[0\]: must be ≥ 0\.001/,
      inWorkflow: false,
    },
    {
      what: 'more latent rows than a run can plan',
      changes: () => ({ generation: { latent: { rows: 9007199254740991 } } }),
      message: /generation\.latent\.rows: must be ≤ 10000000000/,
      inWorkflow: false,
    },
    {
      what: 'an unknown preset',
      changes: () => ({ preset: 'notbook' }),
      message: /preset: must be "tagflow" or "notebook", got "notbook"/,
      inWorkflow: false,
    },
    {
      what: 'split ratios that do not sum to 1',
      changes: () => ({ split: { train: 0.9, validation: 0.1, test: 0.1 } }),
      message: /split: train \+ validation \+ test must sum to 1 \(got 0.9 \+ 0.1 \+ 0.1/,
      inWorkflow: false,
    },
    {
      what: 'a model pack whose model.json has another latent size than its ONNX files',
      changes: () => ({
        model: {
          pack: demoPackCopy((_, meta) => {
            meta.latentDim = 8;
          }),
        },
      }),
      message:
        /model pack .*pack-[^:]+: encoder\.onnx has output mu of width 16, but model\.json's latentDim is 8/,
      inWorkflow: true,
    },
    {
      what: 'a model pack with a truncated decoder re-sealed with a matching checksum',
      changes: () => ({
        model: {
          pack: demoPackCopy((pack) => {
            const bytes = readFileSync(join(pack, 'decoder.onnx'));
            writeFileSync(join(pack, 'decoder.onnx'), bytes.subarray(0, bytes.length >> 1));
          }),
        },
      }),
      message: /model pack .*pack-[^:]+: onnxruntime cannot load decoder\.onnx \(.*protobuf/,
      inWorkflow: true,
    },
    {
      what: 'a model pack whose encoder and decoder are swapped',
      changes: () => ({
        model: {
          pack: demoPackCopy((pack) => {
            renameSync(join(pack, 'encoder.onnx'), join(pack, 'was-encoder'));
            renameSync(join(pack, 'decoder.onnx'), join(pack, 'encoder.onnx'));
            renameSync(join(pack, 'was-encoder'), join(pack, 'decoder.onnx'));
          }),
        },
      }),
      message: /model pack .*pack-[^:]+: encoder\.onnx and decoder\.onnx are swapped/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue whose mood_tags header is misspelled',
      changes: () => ({
        catalogue: { path: demoCatalogueCopy((text) => text.replace('mood_tags', 'mood_tgas')) },
      }),
      message:
        /catalogue .*catalogue-[^:]+\.csv: no "mood_tags" column for category "mood" \(columns: id, genre_tags, mood_tgas, .*; "mood_tgas" looks like a misspelling of it\).*catalogue\.tagColumns/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue with no column for a category, not opted out',
      changes: () => ({
        catalogue: {
          path: demoCatalogueCopy((text) => {
            const rows = parse(text, { columns: true }) as Record<string, string>[];
            return JSON.stringify(rows.map(({ tempo_tags: _, ...rest }) => rest));
          }, 'json'),
        },
      }),
      message:
        /no "tempo_tags" column for category "tempo" \(columns: id, genre_tags, mood_tags, instrument_tags, aspect_list; the nearest name is "[a-z_]+"\).*catalogue\.tagColumns: \{tempo: null\}/,
      inWorkflow: true,
    },
    {
      what: 'a correlation matrix that is not positive semi-definite',
      changes: () => ({
        counts: {
          ...NOTEBOOK_COUNTS_CONFIG,
          correlation: [
            [1, 0.9, -0.9, 0],
            [0.9, 1, 0.9, 0],
            [-0.9, 0.9, 1, 0],
            [0, 0, 0, 1],
          ],
        },
      }),
      message:
        /config .*\.yaml: invalid configuration\n {2}counts\.correlation: not positive semi-definite/,
      inWorkflow: false,
    },
    {
      what: 'a correlation matrix of the wrong size',
      changes: () => ({
        counts: {
          ...NOTEBOOK_COUNTS_CONFIG,
          correlation: NOTEBOOK_COUNTS_CONFIG.correlation.slice(1).map((row) => row.slice(1)),
        },
      }),
      message:
        /config .*\.yaml: invalid configuration\n {2}counts\.correlation: expected a 4×4 matrix, got 3 rows/,
      inWorkflow: false,
    },
    {
      what: 'an artifacts folder that is a file',
      changes: () => {
        const file = join(dir, `artifacts-file-${randomUUID()}`);
        writeFileSync(file, 'x');
        return { artifacts: file };
      },
      message: /artifacts: cannot use .*artifacts-file-[^:]+: it is a file, not a folder/,
      inWorkflow: true,
    },
    {
      what: 'an artifacts folder under a file',
      changes: () => {
        const file = join(dir, `artifacts-file-${randomUUID()}`);
        writeFileSync(file, 'x');
        return { artifacts: join(file, 'artifacts') };
      },
      message: /artifacts: cannot use .*artifacts-file-.*\/artifacts: .* is a file, not a folder/,
      inWorkflow: true,
    },
    {
      // /sys refuses new entries even to root (EPERM; EACCES or EROFS elsewhere).
      what: 'an artifacts folder that cannot be created',
      changes: () => ({ artifacts: `/sys/tagflow-${randomUUID().slice(0, 8)}/artifacts` }),
      message:
        /artifacts: cannot use \/sys\/tagflow-[0-9a-f]+\/artifacts: cannot create the folder \/\S* \(E[A-Z]+\)/,
      inWorkflow: true,
    },
    {
      what: 'an output target in a folder that cannot be written',
      changes: () => ({ output: { target: `file:///sys/tagflow-${randomUUID().slice(0, 8)}` } }),
      message:
        /output\.target: cannot use \/sys\/tagflow-[0-9a-f]+: cannot write a file in \/\S* \(E[A-Z]+\)/,
      inWorkflow: true,
    },
    {
      what: 'an output target under a file',
      changes: () => {
        const file = join(dir, `not-a-folder-${randomUUID()}`);
        writeFileSync(file, 'x');
        return { output: { target: `file://${file}/dataset` } };
      },
      message: /is a file, not a folder/,
      inWorkflow: true,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.what}`, async () => {
      const name = `bad-${randomUUID().slice(0, 8)}`;
      const result = await run(name, c.changes());
      expect(result.code, result.stdout + result.stderr).not.toBe(0);
      expect(result.stderr).toMatch(c.message);
      expect(result.stderr).toMatch(/^tagflow: /m);
      expect(result.stdout + result.stderr).not.toMatch(STACK_FRAME);
      expect(result.seconds).toBeLessThan(30);
      expect(existsSync(result.target)).toBe(false);
      expect(inputDigests(parseYaml(readFileSync(result.file, 'utf8')))).toEqual(result.inputs);
      if (c.inWorkflow) await expectFailedWithoutRetries(name);
    });
  }

  it('refuses to overwrite a folder that is not a tagflow dataset, and leaves it as it was', async () => {
    const target = join(dir, `precious-${randomUUID()}`);
    mkdirSync(target);
    copyFileSync(demo('taxonomy.json'), join(target, 'keep.json'));
    const name = `bad-${randomUUID().slice(0, 8)}`;
    const result = await run(name, { output: { target: `file://${target}` } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/is not a tagflow dataset/);
    expect(readFileSync(join(target, 'keep.json'), 'utf8')).toBe(
      readFileSync(demo('taxonomy.json'), 'utf8'),
    );
    await expectFailedWithoutRetries(name);
  });
});
