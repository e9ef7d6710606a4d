// Bad input ends a run at once, as a non-retryable failure whose message names the problem;
// the CLI exits non-zero with that message and no stack trace, and the output target and the
// inputs are left as they were. Runs go through the real `tagflow run` command against the
// test server, served by workers here. Deterministic faults found in the workflow (a model
// pack whose model.json disagrees with its ONNX files, folders that cannot be written, a
// category without a catalogue column) fail without any activity being retried. This file
// holds the input files (taxonomy, catalogue, corpus, model pack) and the places a run writes
// (output target, artifacts); bad-input-config.test.ts the config's settings and the flags.
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type BadInputCase,
  demo,
  demoCatalogueCopy,
  demoCorpusCopy,
  demoPackCopy,
  demoTaxonomyCopy,
  dir,
  nowhere,
  scratchFile,
  useBadInputRuns,
} from '../helpers/bad-input.js';
import { conceptcaps } from '../helpers/conceptcaps.js';
import { useS3Server } from '../helpers/s3-server.js';

/** The config's error naming output.target. */
const invalidTarget = (why: string) =>
  new RegExp(`config .*bad-[0-9a-f]+\\.yaml: invalid configuration\\n  output\\.target: ${why}`);

// The S3 cases' server; its settings are in this process's environment, where the workers run.
const s3 = useS3Server();
/** A bucket whose tags/ holds something that is not a tagflow dataset. */
let foreignBucket = '';
beforeAll(async () => {
  foreignBucket = await s3.server.createBucket();
  const response = await fetch(`${s3.server.endpoint}/${foreignBucket}/tags/notes.txt`, {
    method: 'PUT',
    body: 'mine',
  });
  expect(response.ok).toBe(true);
});

describe('bad input', () => {
  const { run, expectFailedWithoutRetries, refuses } = useBadInputRuns();

  const taxonomy: BadInputCase[] = [
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
      what: 'a taxonomy file that does not exist',
      changes: () => ({ taxonomy: nowhere('missing-taxonomy', 'json') }),
      message: /taxonomy .*missing-taxonomy-[^:]+\.json: /,
      inWorkflow: true,
    },
    {
      what: 'a taxonomy that is not JSON',
      changes: () => ({
        taxonomy: scratchFile('taxonomy', 'json', 'tempo: [slow]\ngenre: [rock]\n'),
      }),
      message: /taxonomy .*taxonomy-[^:]+\.json: .*JSON/,
      inWorkflow: true,
    },
    {
      what: 'an empty taxonomy file',
      changes: () => ({ taxonomy: scratchFile('taxonomy', 'json', '') }),
      message: /taxonomy .*taxonomy-[^:]+\.json: /,
      inWorkflow: true,
    },
    {
      what: 'a taxonomy without categories',
      changes: () => ({ taxonomy: scratchFile('taxonomy', 'json', '{}') }),
      message: /taxonomy .*taxonomy-[^:]+\.json: .*categor/,
      inWorkflow: true,
    },
    {
      what: 'a taxonomy with a tag twice in one category',
      changes: () => ({
        taxonomy: demoTaxonomyCopy((t) => {
          t.genre.push('rock');
        }),
      }),
      message: /taxonomy .*taxonomy-[^:]+\.json: .*"rock"/,
      inWorkflow: true,
    },
    {
      what: 'a taxonomy category that is not a list',
      changes: () => ({
        taxonomy: demoTaxonomyCopy((t) => ({ ...t, mood: 'happy, sad' })),
      }),
      message: /taxonomy .*taxonomy-[^:]+\.json: .*"mood"/,
      inWorkflow: true,
    },
    {
      what: 'a taxonomy tag that is not a string',
      changes: () => ({
        taxonomy: demoTaxonomyCopy((t) => {
          t.genre.push(42);
        }),
      }),
      message: /taxonomy .*taxonomy-[^:]+\.json: .*"genre"/,
      inWorkflow: true,
    },
    {
      what: 'a taxonomy with an empty category',
      changes: () => ({ taxonomy: demoTaxonomyCopy((t) => ({ ...t, mood: [] })) }),
      message: /taxonomy .*taxonomy-[^:]+\.json: .*"mood"/,
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
  ];

  const catalogue: BadInputCase[] = [
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
      what: 'a catalogue file that does not exist',
      changes: () => ({ catalogue: { path: nowhere('missing-catalogue', 'csv') } }),
      message: /catalogue .*missing-catalogue-[^:]+\.csv: /,
      inWorkflow: true,
    },
    {
      what: 'an empty catalogue file',
      changes: () => ({ catalogue: { path: scratchFile('catalogue', 'csv', '') } }),
      message: /catalogue .*catalogue-[^:]+\.csv: /,
      inWorkflow: true,
    },
    {
      what: 'a catalogue with a header and no tracks',
      changes: () => ({ catalogue: { path: demoCatalogueCopy((text) => text.split('\n')[0]) } }),
      message: /catalogue .*catalogue-[^:]+\.csv: .*(no rows|empty|no tracks)/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue with an id twice',
      changes: () => ({
        catalogue: { path: demoCatalogueCopy((text) => text.replace('demo_0002,', 'demo_0001,')) },
      }),
      message: /catalogue .*catalogue-[^:]+\.csv: .*"demo_0001"/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue with an empty id',
      changes: () => ({
        catalogue: { path: demoCatalogueCopy((text) => text.replace('demo_0002,', ',')) },
      }),
      message:
        /catalogue .*catalogue-[^:]+\.csv: row 2, column id: expected a non-empty id, found ""/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue whose idColumn is not one of its columns',
      changes: () => ({ catalogue: { path: demo('catalogue.csv'), idColumn: 'track_id' } }),
      message: /catalogue .*catalogue\.csv: no "track_id" column/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue whose tagColumns names a column it does not have',
      changes: () => ({
        catalogue: { path: demo('catalogue.csv'), tagColumns: { genre: 'genre_list' } },
      }),
      message: /catalogue .*catalogue\.csv: no "genre_list" column/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue cell that is a broken list literal',
      changes: () => ({
        catalogue: {
          path: demoCatalogueCopy((text) => text.replace("['country']", "\"['country', 'folk'\"")),
        },
      }),
      message:
        /catalogue .*catalogue-[^:]+\.csv: row 1, column genre_tags: cannot read the cell as a list of genre tags/,
      inWorkflow: true,
    },
    {
      what: 'a catalogue with an extension tagflow cannot read',
      changes: () => ({
        catalogue: { path: demoCatalogueCopy((text) => text, 'xlsx') },
      }),
      message:
        /catalogue .*catalogue-[^:]+\.xlsx: cannot tell the format from the extension "\.xlsx"/,
      inWorkflow: true,
    },
    {
      what: 'a TSV catalogue with a ragged row',
      changes: () => ({
        catalogue: {
          path: scratchFile(
            'catalogue',
            'tsv',
            'id\tgenre_tags\tmood_tags\tinstrument_tags\ttempo_tags\n' +
              "a\t['rock']\t['happy']\t['drums']\t[]\n" +
              "b\t['pop']\t['sad']\n",
          ),
        },
      }),
      message: /catalogue .*catalogue-[^:]+\.tsv: .*(row|line) \d/,
      inWorkflow: true,
    },
    {
      what: 'a Parquet catalogue that is not Parquet',
      changes: () => ({ catalogue: { path: demoCatalogueCopy((text) => text, 'parquet') } }),
      message: /catalogue .*catalogue-[^:]+\.parquet: .*Parquet/i,
      inWorkflow: true,
    },
    {
      what: 'a JSON catalogue that is not a list of rows',
      changes: () => ({
        catalogue: { path: scratchFile('catalogue', 'json', '{"id": "a", "genre_tags": []}') },
      }),
      message: /catalogue .*catalogue-[^:]+\.json: /,
      inWorkflow: true,
    },
    {
      what: 'a JSONL catalogue with a line that is not JSON',
      changes: () => ({
        catalogue: {
          path: scratchFile(
            'catalogue',
            'jsonl',
            '{"id": "a", "genre_tags": ["rock"], "mood_tags": [], "instrument_tags": [], "tempo_tags": []}\n' +
              '{"id": "b", "genre_tags": ["rock"\n',
          ),
        },
      }),
      message: /catalogue .*catalogue-[^:]+\.jsonl: .*line 2/,
      inWorkflow: true,
    },
  ];

  const corpus: BadInputCase[] = [
    {
      what: 'a reference corpus that does not exist',
      changes: () => ({ counts: { mode: 'fit', reference: nowhere('missing-corpus', 'csv') } }),
      message: /missing-corpus-[^:]+\.csv: /,
      inWorkflow: true,
    },
    {
      what: 'a reference corpus with an unknown tag',
      changes: () => ({
        counts: {
          mode: 'fit',
          reference: demoCorpusCopy((text) => text.replace(',electronic,', ',electronica,')),
        },
      }),
      message: /corpus-[^:]+\.csv: .*"electronica"/,
      inWorkflow: true,
    },
    {
      what: 'an empty reference corpus',
      changes: () => ({ counts: { mode: 'fit', reference: scratchFile('corpus', 'csv', '') } }),
      message: /corpus-[^:]+\.csv: /,
      inWorkflow: true,
    },
    {
      what: 'a reference corpus with a header and no rows',
      changes: () => ({
        counts: { mode: 'fit', reference: demoCorpusCopy((text) => text.split('\n')[0]) },
      }),
      message:
        /tag corpus .*corpus-[^:]+\.csv: no rows to fit the count model on \(counts\.reference\)/,
      inWorkflow: true,
    },
    {
      what: 'a reference corpus whose mood_tags header is misspelled',
      changes: () => ({
        counts: {
          mode: 'fit',
          reference: demoCorpusCopy((text) => text.replace('mood_tags', 'mood_tag')),
        },
      }),
      message: /corpus-[^:]+\.csv: .*"mood_tag"/,
      inWorkflow: true,
    },
  ];

  const modelPack: BadInputCase[] = [
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
      what: 'a model pack folder that does not exist',
      changes: () => ({ model: { pack: nowhere('missing-pack') } }),
      message: /model pack .*missing-pack-[0-9a-f-]+/,
      inWorkflow: true,
    },
    {
      what: 'a model pack without model.json',
      changes: () => ({
        model: {
          pack: demoPackCopy((pack) => rmSync(join(pack, 'model.json')), { reseal: false }),
        },
      }),
      message: /model pack .*pack-[^:]+: .*model\.json/,
      inWorkflow: true,
    },
    {
      what: 'a model pack whose model.json is not JSON',
      changes: () => ({
        model: {
          pack: demoPackCopy((pack) => writeFileSync(join(pack, 'model.json'), '{"format": '), {
            reseal: false,
          }),
        },
      }),
      message: /model pack .*pack-[^:/]+\/model\.json: not valid JSON/,
      inWorkflow: true,
    },
    {
      what: 'a model pack without decoder.onnx',
      changes: () => ({
        model: {
          pack: demoPackCopy((pack) => rmSync(join(pack, 'decoder.onnx')), { reseal: false }),
        },
      }),
      message: /model pack .*pack-[^:]+: .*decoder\.onnx/,
      inWorkflow: true,
    },
    {
      what: 'a model pack whose decoder does not match its checksum',
      changes: () => ({
        model: {
          pack: demoPackCopy(
            (pack) => {
              const bytes = readFileSync(join(pack, 'decoder.onnx'));
              bytes[bytes.length - 1] ^= 0xff;
              writeFileSync(join(pack, 'decoder.onnx'), bytes);
            },
            { reseal: false },
          ),
        },
      }),
      message: /model pack .*pack-[^:]+: .*decoder\.onnx.*(sha256|checksum)/,
      inWorkflow: true,
    },
    {
      what: 'a model pack whose model.json is of another format',
      changes: () => ({
        model: {
          pack: demoPackCopy((_, meta) => {
            meta.format = 'keras-model';
          }),
        },
      }),
      message: /model pack .*pack-[^:]+: .*format/,
      inWorkflow: true,
    },
  ];

  const places: BadInputCase[] = [
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
    {
      what: 'an output target with a scheme tagflow cannot write (gs://)',
      changes: () => ({ output: { target: 'gs://my-bucket/tags' } }),
      message: invalidTarget('must start with file://, hf://datasets/ or s3://'),
      inWorkflow: false,
    },
    {
      what: 'an S3 output target with a malformed bucket name',
      changes: () => ({ output: { target: 's3://My_Bucket/tags' } }),
      message: invalidTarget(
        '"s3://My_Bucket/tags" has an invalid bucket name "My_Bucket" \\(must be lowercase',
      ),
      inWorkflow: false,
    },
    {
      what: 'an S3 output target in a bucket that does not exist',
      changes: () => ({ output: { target: 's3://tagflow-no-such-bucket/tags' } }),
      message:
        /output\.target: publish target s3:\/\/tagflow-no-such-bucket\/tags: cannot write \S+: the bucket "tagflow-no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+ \(AWS_ENDPOINT_URL_S3\) \(NoSuchBucket\)$/m,
      inWorkflow: true,
    },
    {
      what: 'an S3 output target holding objects that are not a tagflow dataset',
      changes: () => ({ output: { target: `s3://${foreignBucket}/tags` } }),
      message:
        /publish target s3:\/\/tagflow-[0-9a-f-]+\/tags holds 1 object \(notes\.txt\) and is not a tagflow dataset/,
      inWorkflow: true,
    },
    {
      what: 'an S3 artifact store in a bucket that does not exist',
      changes: () => ({ artifacts: 's3://tagflow-no-such-bucket/artifacts' }),
      message:
        /artifacts: artifact store s3:\/\/tagflow-no-such-bucket\/artifacts: cannot write \S+: the bucket "tagflow-no-such-bucket" does not exist/,
      inWorkflow: true,
    },
    {
      what: 'artifacts at a URL tagflow cannot use',
      changes: () => ({ artifacts: 'gs://my-bucket/artifacts' }),
      message:
        /config .*bad-[0-9a-f]+\.yaml: invalid configuration\n {2}artifacts: must be a folder or s3:\/\/<bucket>\/<prefix>/,
      inWorkflow: false,
    },
    {
      what: 'a Hub output target without a repo',
      changes: () => ({ output: { target: 'hf://datasets/' } }),
      message: invalidTarget('must be hf://datasets/<owner>/<name>'),
      inWorkflow: false,
    },
  ];

  refuses([...taxonomy, ...catalogue, ...corpus, ...modelPack, ...places]);

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
