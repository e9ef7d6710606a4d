// Bad settings in the run configuration, and bad `tagflow run` flags: refused before anything
// is submitted (or, for settings that need the inputs to check, by the workflow at once and
// without retries), with a message naming the file and the field, no stack trace, and the
// inputs and the target left as they were. The input files and the places a run writes are in
// bad-input.test.ts; the checks each case makes are in test/helpers/bad-input.ts.
import { describe } from 'vitest';
import { stringify } from 'yaml';
import { NOTEBOOK_COUNTS_CONFIG } from '../../core/config.js';
import { type BadInputCase, demo, nowhere, useBadInputRuns } from '../helpers/bad-input.js';

/** The config's error block: `config <file>: invalid configuration` then `  <field>: <why>`. */
const invalid = (field: string, why: RegExp | string) =>
  new RegExp(
    `config .*bad-[0-9a-f]+\\.yaml: invalid configuration\\n(  .*\\n)*  ${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${typeof why === 'string' ? why : why.source}`,
  );

describe('bad config and flags', () => {
  const { refuses } = useBadInputRuns();

  const settings: BadInputCase[] = [
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
      what: 'an unknown top-level setting',
      changes: () => ({ sead: 7 }),
      message: invalid('(top level)', 'Unrecognized key: "sead"'),
      inWorkflow: false,
    },
    {
      what: 'an unknown nested setting',
      changes: () => ({ generation: { temprature: [1] } }),
      message: invalid('generation', 'Unrecognized key: "temprature"'),
      inWorkflow: false,
    },
    {
      what: 'a seed that is a string',
      changes: () => ({ seed: 'forty-two' }),
      message: invalid('seed', /.*number/),
      inWorkflow: false,
    },
    {
      what: 'a negative seed',
      changes: () => ({ seed: -1 }),
      message: invalid('seed', /.*0/),
      inWorkflow: false,
    },
    {
      what: 'a seed that is not whole',
      changes: () => ({ seed: 1.5 }),
      message: invalid('seed', 'must be a whole number'),
      inWorkflow: false,
    },
    {
      what: 'a name with a slash',
      changes: () => ({ name: 'runs/today' }),
      message: invalid('name', 'must be 1–100 characters'),
      inWorkflow: false,
    },
    {
      what: 'an empty temperature sweep',
      changes: () => ({ generation: { temperatures: [] } }),
      message: invalid('generation.temperatures', /.*/),
      inWorkflow: false,
    },
    {
      what: 'a temperature above the maximum',
      changes: () => ({ generation: { temperatures: [1, 2000] } }),
      message: invalid('generation.temperatures[1]', 'must be ≤ 1000'),
      inWorkflow: false,
    },
    {
      what: 'an unknown temperature mode',
      changes: () => ({ generation: { temperatureMode: 'logits' } }),
      message: invalid('generation.temperatureMode', /.*"spread"\|"decoder"/),
      inWorkflow: false,
    },
    {
      what: 'a batch size of 0',
      changes: () => ({ generation: { batchSize: 0 } }),
      message: invalid('generation.batchSize', 'must be > 0'),
      inWorkflow: false,
    },
    {
      what: 'a batch size above the maximum',
      changes: () => ({ generation: { batchSize: 100000 } }),
      message: invalid('generation.batchSize', /.*<=65536/),
      inWorkflow: false,
    },
    {
      what: 'chunks of 0 rows',
      changes: () => ({ generation: { chunkRows: 0 } }),
      message: invalid('generation.chunkRows', 'must be > 0'),
      inWorkflow: false,
    },
    {
      what: 'a negative split ratio',
      changes: () => ({ split: { train: 1.1, validation: -0.1, test: 0 } }),
      message: invalid('split.validation', 'must be between 0 and 1'),
      inWorkflow: false,
    },
    {
      what: 'an evaluate reference that does not exist',
      changes: () => ({ evaluate: { reference: nowhere('missing-reference', 'csv') } }),
      message: /missing-reference-[^:]+\.csv/,
      inWorkflow: true,
    },
    {
      what: 'an unknown counts mode',
      changes: () => ({ counts: { mode: 'guess', reference: demo('corpus.csv') } }),
      message: invalid('counts.mode', /.*"guess"|fit.*params/),
      inWorkflow: false,
    },
    {
      what: 'fitted counts without a reference corpus',
      changes: () => ({ counts: { mode: 'fit' } }),
      message: invalid('counts.reference', /.*/),
      inWorkflow: false,
    },
    {
      what: 'count parameters without a mean for one category',
      changes: () => {
        const { mood: _, ...means } = NOTEBOOK_COUNTS_CONFIG.means;
        return { counts: { ...NOTEBOOK_COUNTS_CONFIG, means } };
      },
      message: invalid('counts.means', /no entry for "mood"/),
      inWorkflow: false,
    },
    {
      what: 'count parameters with a mean ≤ 0',
      changes: () => ({
        counts: { ...NOTEBOOK_COUNTS_CONFIG, means: { ...NOTEBOOK_COUNTS_CONFIG.means, genre: 0 } },
      }),
      message: invalid('counts.means.genre', 'must be > 0'),
      inWorkflow: false,
    },
    {
      what: 'concept sets with a tag not in the taxonomy',
      changes: () => ({ generation: { concepts: { tags: ['rock', 'polka-core'] } } }),
      message: /generation\.concepts.*"polka-core"/,
      inWorkflow: true,
    },
    {
      what: 'concept sets of 0 rows',
      changes: () => ({ generation: { concepts: { tags: 'all', rowsPerConcept: 0 } } }),
      message: invalid('generation.concepts.rowsPerConcept', 'must be > 0'),
      inWorkflow: false,
    },
    {
      what: 'a negative minRowsPerTag',
      changes: () => ({ generation: { minRowsPerTag: -5 } }),
      message: invalid('generation.minRowsPerTag', /must be ≥ 0 \(0 turns coverage off\)/),
      inWorkflow: false,
    },
    {
      what: 'a fractional minRowsPerTag',
      changes: () => ({ generation: { minRowsPerTag: 12.5 } }),
      message: invalid('generation.minRowsPerTag', 'must be a whole number'),
      inWorkflow: false,
    },
    {
      what: 'a minRowsPerTag above the bound',
      changes: () => ({ generation: { minRowsPerTag: 1_000_000 } }),
      message: invalid('generation.minRowsPerTag', 'must be ≤ 10000'),
      inWorkflow: false,
    },
    {
      what: 'a minRowsPerTag that is not a number',
      changes: () => ({ generation: { minRowsPerTag: 'all' } }),
      message: invalid('generation.minRowsPerTag', /.*expected number/),
      inWorkflow: false,
    },
    {
      what: '0 calibration steps',
      changes: () => ({ generation: { calibration: { steps: 0 } } }),
      message: invalid('generation.calibration.steps', 'must be > 0'),
      inWorkflow: false,
    },
    {
      what: 'a corpus latent prior without a corpus',
      changes: () => ({
        counts: NOTEBOOK_COUNTS_CONFIG,
        generation: { latent: { prior: 'corpus' } },
      }),
      message: /generation\.latent\.prior.*corpus/,
      inWorkflow: false,
    },
    {
      what: 'an unknown selection',
      changes: () => ({ generation: { selection: 'greedy' } }),
      message: invalid('generation.selection', /.*"greedy"|topk.*sample/),
      inWorkflow: false,
    },
    {
      what: 'a run with both seeded and latent generation disabled',
      changes: () => ({ generation: { seeded: { enabled: false }, latent: { enabled: false } } }),
      message: /generation.*seeded.*latent|generation.*nothing/,
      inWorkflow: false,
    },
    {
      what: 'no chunks in flight',
      changes: () => ({ execution: { maxParallelChunks: 0 } }),
      message: invalid('execution.maxParallelChunks', 'must be > 0'),
      inWorkflow: false,
    },
    {
      what: 'an empty artifacts path',
      changes: () => ({ artifacts: '' }),
      message: invalid('artifacts', 'must be a non-empty path'),
      inWorkflow: false,
    },
    {
      what: 'a config with a YAML syntax error',
      changes: () => ({}),
      text: (config) => `${stringify(config)}generation: {temperatures: [1, 2\n`,
      message: /config .*bad-[0-9a-f]+\.yaml: not valid YAML\/JSON \(.*line \d+/,
      inWorkflow: false,
    },
    {
      what: 'a config that is a list',
      changes: () => ({}),
      text: (config) => stringify([config]),
      message: /config .*bad-[0-9a-f]+\.yaml: expected a mapping of settings at the top level/,
      inWorkflow: false,
    },
  ];

  const flags: BadInputCase[] = [
    {
      what: 'a config file that does not exist',
      changes: () => ({}),
      args: () => ['run', '--config', nowhere('missing-config', 'yaml')],
      message: /config .*missing-config-[^:]+\.yaml: cannot read file/,
      inWorkflow: false,
    },
    {
      what: '--seed -1',
      changes: () => ({}),
      args: (file) => ['run', '--config', file, '--seed', '-1'],
      message: /option '--seed <n>' argument '-1' is invalid\. expected a whole number ≥ 0/,
      inWorkflow: false,
    },
    {
      what: '--seed abc',
      changes: () => ({}),
      args: (file) => ['run', '--config', file, '--seed', 'abc'],
      message: /option '--seed <n>' argument 'abc' is invalid\. expected a whole number ≥ 0/,
      inWorkflow: false,
    },
    {
      what: 'an unknown flag',
      changes: () => ({}),
      args: (file) => ['run', '--config', file, '--temperature', '2'],
      message: /unknown option '--temperature'/,
      inWorkflow: false,
    },
    {
      what: '--device tpu',
      changes: () => ({}),
      args: (file) => ['run', '--config', file, '--device', 'tpu'],
      message: /option '--device <device>' argument 'tpu' is invalid\. expected cpu or cuda/,
      inWorkflow: false,
    },
    {
      what: 'run without --config',
      changes: () => ({}),
      args: () => ['run'],
      message: /required option '-c, --config <file>' not specified/,
      inWorkflow: false,
    },
    {
      what: '--name with a slash',
      changes: () => ({}),
      args: (file) => ['run', '--config', file, '--name', 'runs/today'],
      message: /name: must be 1–100 characters/,
      inWorkflow: false,
    },
    {
      what: '--target with a scheme tagflow cannot write',
      changes: () => ({}),
      args: (file) => ['run', '--config', file, '--target', 'gs://my-bucket/tags'],
      message:
        /option '--target <uri>' argument 'gs:\/\/my-bucket\/tags' is invalid\. expected file:\/\/<dir>, hf:\/\/datasets\/<owner>\/<name>, s3:\/\/<bucket>\/<prefix> or a folder/,
      inWorkflow: false,
    },
    {
      what: '--target with a malformed S3 URL',
      changes: () => ({}),
      args: (file) => ['run', '--config', file, '--target', 's3://my-bucket//tags'],
      message:
        /option '--target <uri>' argument 's3:\/\/my-bucket\/\/tags' is invalid\. "s3:\/\/my-bucket\/\/tags" has an empty, "\." or "\.\." folder in its prefix; expected s3:\/\/<bucket>\/<prefix>/,
      inWorkflow: false,
    },
  ];

  refuses([...settings, ...flags]);
});
