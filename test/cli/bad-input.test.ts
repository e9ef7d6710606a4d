// Bad input ends a run at once, as a non-retryable failure whose message names the problem;
// the CLI exits non-zero with that message, and the output target is left as it was. Runs go
// through the real `tagflow run` command against the test server, served by workers here.
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runWorkflowId } from '../../workflows/generate-dataset.js';
import { conceptcaps } from '../helpers/conceptcaps.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';
import { temporalSettings, useTestTemporal } from '../helpers/temporal.js';

const dir = tempDir('bad-input');
const demo = (file: string) => join(REPO_ROOT, 'data', 'demo', file);

function writeConfig(
  name: string,
  changes: Record<string, unknown>,
): { file: string; target: string } {
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
    target:
      (changes.output as { target?: string } | undefined)?.target?.replace('file://', '') ?? target,
  };
}

describe('bad input', () => {
  const temporal = useTestTemporal();

  async function run(name: string, changes: Record<string, unknown>) {
    const { file, target } = writeConfig(name, changes);
    const started = Date.now();
    const cli = await runCli(
      ['run', '--config', file, '--no-progress', '--queue-prefix', temporal.workers.queuePrefix],
      {
        env: { TEMPORAL_ADDRESS: temporalSettings().address },
      },
    );
    return { ...cli, seconds: (Date.now() - started) / 1000, target };
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
      expect(result.seconds).toBeLessThan(30);
      expect(existsSync(result.target)).toBe(false);
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
