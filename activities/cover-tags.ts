// Tag coverage (generation.minRowsPerTag), the CPU side of each round (core/dataset/tag-coverage.ts
// has the rules). Round 0 scans the deduplicated rows and keeps the scan in the run folder;
// every call replays the rounds before it from their candidate parts (a pure function of the
// scan and the parts, so a retried or rerun call gives the same answer) and then plans its own
// round, or, with none left, writes the top-up rows and the coverage report. The rows join the
// dataset after dedupe's: split and evaluate read `datasetRowKeys`.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RunConfig } from '../core/config.js';
import {
  type CoverageCandidateRow,
  type CoverageReport,
  CoverageScan,
  decodeCoverageScan,
  encodeCoverageScan,
  TagCoverage,
} from '../core/dataset/index.js';
import {
  type ArtifactStore,
  releasing,
  runKey,
  tempPathFor,
  withLocalCopies,
  writeArrowFile,
} from '../core/io/index.js';
import { type CoveragePart, planCoverageParts } from '../core/plan.js';
import {
  GENERATED_ROWS_SCHEMA,
  type GeneratedRow,
  GeneratedRowsBuilder,
  scanGeneratedRows,
} from '../core/rows/index.js';
import type { CoverageStep } from '../core/run-types.js';
import type { DedupeReport } from './dedupe.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore, RUN_FILES, runTaxonomy } from './run-inputs.js';

/** Whether the run tops up rare tags (runs started before the option existed do not). */
export function coversTags(config: RunConfig): boolean {
  return (config.generation.minRowsPerTag ?? 0) > 0;
}

/** The dataset's generated-row files in the stable order: dedupe's, then the top-up rows. */
export async function datasetRowKeys(
  store: ArtifactStore,
  runId: string,
  config: RunConfig,
): Promise<string[]> {
  const deduped = await store.readJson<DedupeReport>(runKey(runId, RUN_FILES.dedupeReport));
  if (!coversTags(config)) return deduped.outputs;
  const coverage = await store.readJson<CoverageReport>(runKey(runId, RUN_FILES.coverageReport));
  // The top-up rows' file is written only when there are rows.
  return coverage.rowsAdded > 0
    ? [...deduped.outputs, runKey(runId, RUN_FILES.coverageRows)]
    : deduped.outputs;
}

async function scanDataset(
  store: ArtifactStore,
  runId: string,
  tags: number,
  minRows: number,
): Promise<CoverageScan> {
  const deduped = await store.readJson<DedupeReport>(runKey(runId, RUN_FILES.dedupeReport));
  const scan = new CoverageScan(tags, minRows);
  const inputs = await store.readLocal(deduped.outputs);
  for await (const { view } of releasing(
    inputs,
    scanGeneratedRows(inputs.paths, { checkOrder: false }),
  )) {
    for (let i = 0; i < view.length; i++)
      scan.add(view.tags('seed_tags', i), view.tags('generated_tags', i));
    await nextTurn(); // lets the heartbeat timer run between batches
  }
  return scan;
}

function writeFileAtomically(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempPathFor(path);
  writeFileSync(temp, bytes);
  renameSync(temp, path);
}

/** A round's candidates, part after part, each checked against the range its part planned. */
async function* roundCandidates(
  store: ArtifactStore,
  runId: string,
  parts: readonly CoveragePart[],
): AsyncGenerator<CoverageCandidateRow> {
  for (const part of parts) {
    const copies = await store.readLocal([runKey(runId, part.key)]);
    const [path] = copies.paths;
    const ranges = part.ranges.map((r) => ({ ...r, next: r.from }));
    let range = 0;
    for await (const { view } of releasing(
      copies,
      scanGeneratedRows([path], { checkOrder: false }),
    )) {
      for (let i = 0; i < view.length; i++) {
        while (range < ranges.length && ranges[range].next === ranges[range].to) range++;
        const expected = ranges[range];
        const seed = view.tags('seed_tags', i);
        if (!expected || seed[0] !== expected.tag || view.rowIndex[i] !== expected.next)
          throw new Error(`${path}: row ${i} is not the candidate its part planned`);
        expected.next++;
        const generated = view.tags('generated_tags', i);
        const tags = new Uint16Array(1 + generated.length);
        tags[0] = expected.tag;
        tags.set(generated, 1);
        yield {
          temperatureIndex: view.temperatureIndex[i],
          temperature: view.temperature[i],
          tags,
        };
      }
    }
    if (ranges.some((r) => r.next !== r.to)) throw new Error(`${path}: candidates missing`);
    await nextTurn(); // lets the heartbeat timer run between parts
  }
}

/** Rows per record batch of the top-up rows' file. */
const BATCH_ROWS = 65_536;

/** Generated rows as record batches of at most BATCH_ROWS rows. */
function* inBatches(rows: Iterable<GeneratedRow>, total: number) {
  let builder = new GeneratedRowsBuilder(Math.min(BATCH_ROWS, total));
  let left = total;
  for (const row of rows) {
    builder.push(row);
    left--;
    if (builder.length === builder.capacity) {
      yield builder.finish();
      builder = new GeneratedRowsBuilder(Math.max(1, Math.min(BATCH_ROWS, left)));
    }
  }
  if (builder.length > 0) yield builder.finish();
}

export async function coverTags(params: {
  runId: string;
  config: RunConfig;
  round: number;
}): Promise<CoverageStep> {
  maybeFailAtStart('coverTags');
  const { runId, config, round } = params;
  const store = artifactStore(config.artifacts);
  const taxonomy = runTaxonomy(config.taxonomy);
  const scanKey = runKey(runId, RUN_FILES.coverageScan);
  let scan: CoverageScan;
  if (round === 0) {
    await store.remove(runKey(runId, RUN_FILES.coverageRows));
    await store.remove(runKey(runId, RUN_FILES.coverageReport));
    scan = await scanDataset(store, runId, taxonomy.size, config.generation.minRowsPerTag);
    writeFileAtomically(store.writePath(scanKey), encodeCoverageScan(scan));
    await store.commit(scanKey);
  } else {
    scan = await withLocalCopies(store, [scanKey], ([path]) =>
      decodeCoverageScan(readFileSync(path), store.location(scanKey)),
    );
  }
  const coverage = new TagCoverage(taxonomy, scan);
  const chunkRows = config.generation.chunkRows;
  for (let r = 0; r < round; r++) {
    const ranges = coverage.nextRanges();
    await coverage.merge(
      ranges,
      roundCandidates(store, runId, planCoverageParts(r, ranges, chunkRows)),
    );
  }
  const progress = { round, rowsAdded: coverage.rowsAdded, tagsShort: coverage.tagsShort() };
  const ranges = coverage.nextRanges();
  if (ranges.length > 0) {
    const parts = planCoverageParts(round, ranges, chunkRows);
    logActivityEvent({ activity: 'coverTags', event: 'finish', round, parts: parts.length });
    return { ...progress, parts };
  }

  if (coverage.rowsAdded > 0) {
    const key = runKey(runId, RUN_FILES.coverageRows);
    const batches = inBatches(coverage.generatedRows(), coverage.rowsAdded);
    const manifest = await writeArrowFile(
      store.writePath(key),
      GENERATED_ROWS_SCHEMA,
      batches,
      key,
    );
    await store.commit(key, manifest.sha256);
  }
  const report = coverage.report();
  await store.writeJson(runKey(runId, RUN_FILES.coverageReport), report);
  logActivityEvent({
    activity: 'coverTags',
    event: 'finish',
    round,
    rowsAdded: report.rowsAdded,
  });
  const unreached = report.tags.filter((t) => !t.reached);
  return {
    ...progress,
    parts: [],
    summary: {
      minRowsPerTag: report.minRowsPerTag,
      rounds: report.rounds,
      rowsAdded: report.rowsAdded,
      tagsShort: report.tags.length,
      unreached: unreached.map((t) => ({ tag: t.tag, rows: t.after })),
    },
  };
}
