// Stages 5–7 (dedupe, split, publish to a folder) on the notebook's 28,574 generated rows,
// timed side by side with the notebook's own pandas dedupe on the same rows.
//
//   npx tsx bench/dedupe-split-publish.ts [--input <dir of generated-row .arrow files>] [--runs 3]
//
// Without --input, rows are built like the notebook's run (test/helpers/generated-rows-fixture.ts:
// the real ConceptCaps taxonomy and catalogue, 7 temperatures with 1.0 twice, seeded and
// latent rows, ~44% repeats of earlier tag sets; the notebook went 28,574 → 16,043).
//
// The pandas side runs exactly the notebook's cell on a DataFrame built from a list of dicts,
// as the notebook builds `res_df`, with list cells:
//   res_df['aspect_list'] = res_df['aspect_list'].apply(lambda x: sorted(list(set(x))))
//   res_df = res_df.drop_duplicates(subset=['aspect_list']).reset_index(drop=True)
// (pandas 3 accepts list cells in drop_duplicates, slowly; only these two lines are timed.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_SPLIT_RATIOS,
  dedupeGeneratedRows,
  publishDataset,
  splitGeneratedRows,
} from '../core/dataset/index.js';
import { version } from '../core/version.js';
import {
  conceptcapsCatalogue,
  conceptcapsTaxonomy,
  fixtureRows,
  NOTEBOOK_TEMPERATURES,
  readRows,
  writeFixtureFiles,
} from '../test/helpers/generated-rows-fixture.js';
import { PYTHON } from '../test/helpers/python-datasets.js';

const { values: args } = parseArgs({
  options: { input: { type: 'string' }, runs: { type: 'string', default: '3' } },
});
const runs = Math.max(1, Number(args.runs));
const dir = mkdtempSync(join(tmpdir(), 'tagflow-bench-dsp-'));
const taxonomy = conceptcapsTaxonomy();

let inputs: string[];
if (args.input) {
  const folder = resolve(args.input);
  inputs = readdirSync(folder)
    .filter((n) => n.endsWith('.arrow'))
    .sort()
    .map((n) => join(folder, n));
} else {
  const rows = fixtureRows({ taxonomy, catalogue: conceptcapsCatalogue(taxonomy) });
  inputs = await writeFixtureFiles(rows, join(dir, 'generated'), {
    rowsPerFile: 2041,
    batchRows: 2048,
  });
}
const rows = await readRows(inputs);

async function pipeline(run: number) {
  const out = join(dir, `run-${run}`);
  const t0 = performance.now();
  const dedupe = await dedupeGeneratedRows({
    inputs,
    outputDir: join(out, 'dedupe'),
    workDir: join(out, 'work'),
  });
  const t1 = performance.now();
  const split = await splitGeneratedRows({
    inputs: dedupe.outputs.map((o) => o.path),
    outputDir: join(out, 'split'),
    seed: 42,
    ratios: DEFAULT_SPLIT_RATIOS,
  });
  const t2 = performance.now();
  const published = await publishDataset({
    target: pathToFileURL(join(out, 'dataset')).href,
    splitFiles: {
      train: split.outputs.train.map((o) => o.path),
      validation: split.outputs.validation.map((o) => o.path),
      test: split.outputs.test.map((o) => o.path),
    },
    taxonomy,
    card: {
      name: 'bench-tags',
      runId: 'bench',
      seed: 42,
      taxonomy: { hash: taxonomy.hash, categories: [...taxonomy.categories], tags: taxonomy.size },
      model: { provenance: { bench: true }, summary: 'bench' },
      countModel: { kind: 'params', summary: 'bench' },
      temperatures: NOTEBOOK_TEMPERATURES,
      rowsGenerated: dedupe.rowsIn,
      rowsAfterDedupe: dedupe.rowsOut,
      splits: split.counts,
      toolVersion: version,
    },
    workDir: join(out, 'work'),
  });
  const t3 = performance.now();
  return {
    dedupe: t1 - t0,
    split: t2 - t1,
    publish: t3 - t2,
    total: t3 - t0,
    rowsIn: dedupe.rowsIn,
    rowsOut: dedupe.rowsOut,
    counts: split.counts,
    files: published.files,
  };
}

const ours = [];
for (let run = 0; run < runs + 1; run++) ours.push(await pipeline(run));
const cold = ours[0];
const warm = ours.slice(1).sort((a, b) => a.total - b.total)[Math.floor(runs / 2)];
const identical = ours.every((r) => JSON.stringify(r.files) === JSON.stringify(cold.files));

// The notebook's rows for pandas: aspect_list = seed tags then generated tags, as strings.
const records = rows.map((r) => ({
  id: r.sourceId,
  aspect_list: [...Array.from(r.seedTags), ...Array.from(r.generatedTags)].map(
    (t) => taxonomy.tags[t],
  ),
  original_aspect_list: Array.from(r.originalTags, (t) => taxonomy.tags[t]),
  temperature: r.temperature,
}));
const recordsPath = join(dir, 'rows.json');
writeFileSync(recordsPath, JSON.stringify(records));
const pandas = JSON.parse(
  execFileSync(
    PYTHON,
    [
      '-c',
      `
import json, sys, time
import pandas as pd
results = json.load(open(sys.argv[1]))
res_df = pd.DataFrame(results)
t = time.perf_counter()
res_df['aspect_list'] = res_df['aspect_list'].apply(lambda x: sorted(list(set(x))))
res_df = res_df.drop_duplicates(subset=['aspect_list']).reset_index(drop=True)
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "rows": len(res_df), "pandas": pd.__version__}))
`,
      recordsPath,
    ],
    { encoding: 'utf8' },
  ),
) as { seconds: number; rows: number; pandas: string };

const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(
  `dedupe + split + publish(file://) on ${cold.rowsIn.toLocaleString('en-US')} generated rows (${inputs.length} Arrow files)\n`,
);
console.log(`| step                                   | first run | median of next ${runs} |`);
console.log('| -------------------------------------- | --------- | ---------------- |');
for (const step of ['dedupe', 'split', 'publish', 'total'] as const) {
  console.log(
    `| ${`tagflow ${step}`.padEnd(38)} | ${ms(cold[step]).padStart(9)} | ${ms(warm[step]).padStart(16)} |`,
  );
}
console.log(
  `| ${`pandas ${pandas.pandas} dedupe (notebook cell)`.padEnd(38)} | ${ms(pandas.seconds * 1000).padStart(9)} |                  |`,
);
console.log('');
console.log(
  `rows after dedupe: tagflow ${cold.rowsOut}, pandas ${pandas.rows} → ${cold.rowsOut === pandas.rows ? 'equal' : 'DIFFERENT'}`,
);
console.log(
  `split: train ${cold.counts.train} / validation ${cold.counts.validation} / test ${cold.counts.test}`,
);
console.log(`published files identical across runs: ${identical ? 'yes' : 'NO'}`);
console.log(
  `pandas dedupe / tagflow dedupe+split+publish: ${((pandas.seconds * 1000) / cold.total).toFixed(1)}× (first run), ${((pandas.seconds * 1000) / warm.total).toFixed(1)}× (warm); goal ≥ 10×`,
);
rmSync(dir, { recursive: true, force: true });
if (cold.rowsOut !== pandas.rows || !identical) process.exitCode = 1;
