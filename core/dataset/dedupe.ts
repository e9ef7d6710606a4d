// Stage 5: drop generated rows whose tag set was already produced.
//
// A row's identity is the sorted set of its tags (seed tags ∪ generated tags); of rows with
// the same identity the first in the stable order (temperature index, mode, row index) is
// kept, as the notebook's `drop_duplicates` keeps the first. Inputs arrive in that order.
//
// Memory stays bounded for tens of millions of rows by hash partitioning:
//   pass 1 streams the inputs and appends each row's (global position, sorted tag ids) to
//          one of P partition files chosen by a hash of the tag ids;
//   pass 2 reads one partition at a time and marks the first occurrence of each tag set in
//          a bitset over all rows (1 bit per row; exact comparison, the set holds the keys);
//   pass 3 streams the inputs again and writes the marked rows, one output file per input
//          (each output is assembled in memory, so it is at most the size of its input).
// When the inputs are small enough for one in-memory set (P = 1) the three passes collapse
// into one; the kept rows are the same either way.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { ValidationError } from '../errors.js';
import type { ArrowManifest } from '../io/index.js';
import {
  ArrowFileBuffer,
  GeneratedRowsBuilder,
  type GeneratedRowsView,
  groupIdOf,
  MODE_NAMES,
  type ModeName,
  type ScannedBatch,
  scanGeneratedRows,
} from '../rows/index.js';
import { Bitset, keyOf, PartitionFile, partitionOf, TagSetKeys } from './dedupe-partitions.js';

export interface DedupeGroupReport {
  mode: ModeName;
  temperatureIndex: number;
  temperature: number;
  rowsIn: number;
  rowsOut: number;
  dropped: number;
}

export interface DedupeResult {
  /** One filtered Arrow file per input, same schema, same order. */
  outputs: ArrowManifest[];
  rowsIn: number;
  rowsOut: number;
  /** Per (temperature index, mode), in the stable order. */
  groups: DedupeGroupReport[];
  /** How the work was done: 1 means a single in-memory pass. */
  partitions: number;
}

export interface DedupeParams {
  /** Generated-row Arrow files, in the stable order. */
  inputs: string[];
  /** Where the filtered files go (created if missing). */
  outputDir: string;
  /** Scratch space for partition files; a private subfolder is made and removed. */
  workDir: string;
  /** Number of hash partitions; default chosen from the inputs' size and the budget. */
  partitions?: number;
  /** Most rows whose keys one in-memory set may hold (default 4,000,000: ~400 MB). */
  memoryBudgetRows?: number;
}

export const DEFAULT_DEDUPE_MEMORY_BUDGET_ROWS = 4_000_000;
/** A generated row takes at least this many bytes in an Arrow file (fixed-width columns and offsets). */
const MIN_ARROW_BYTES_PER_ROW = 32;
const MAX_ROWS = 2 ** 32 - 1;

/** A new batch with the rows of `view` that `keep` accepts (the batch itself when all are). */
export function filterGeneratedRows(
  batch: RecordBatch,
  view: GeneratedRowsView,
  keep: (i: number) => boolean,
): RecordBatch | null {
  const kept: number[] = [];
  for (let i = 0; i < view.length; i++) if (keep(i)) kept.push(i);
  if (kept.length === 0) return null;
  if (kept.length === view.length) return batch;
  const builder = new GeneratedRowsBuilder(kept.length);
  for (const i of kept) {
    builder.push({
      mode: view.mode[i],
      temperatureIndex: view.temperatureIndex[i],
      temperature: view.temperature[i],
      rowIndex: view.rowIndex[i],
      sourceId: view.sourceId(i),
      seedTags: view.tags('seed_tags', i),
      generatedTags: view.tags('generated_tags', i),
      originalTags: view.tags('original_tags', i),
    });
  }
  return builder.finish();
}

/** Output file name for input `i`: its position first, so equal base names cannot clash. */
export function outputNameFor(input: string, i: number): string {
  const base = basename(input).replace(/\.arrow$/, '');
  return `${String(i).padStart(5, '0')}-${base}.arrow`;
}

class GroupCounter {
  private readonly groups = new Map<number, DedupeGroupReport>();

  count(view: GeneratedRowsView, i: number, field: 'rowsIn' | 'rowsOut'): void {
    const id = groupIdOf(view.temperatureIndex[i], view.mode[i]);
    let group = this.groups.get(id);
    if (!group) {
      group = {
        mode: MODE_NAMES[view.mode[i]],
        temperatureIndex: view.temperatureIndex[i],
        temperature: view.temperature[i],
        rowsIn: 0,
        rowsOut: 0,
        dropped: 0,
      };
      this.groups.set(id, group);
    }
    group[field]++;
  }

  report(): DedupeGroupReport[] {
    return [...this.groups.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, g]) => ({ ...g, dropped: g.rowsIn - g.rowsOut }));
  }
}

function choosePartitions(inputs: readonly string[], budgetRows: number): number {
  let bytes = 0;
  for (const input of inputs) {
    try {
      bytes += statSync(input).size;
    } catch {
      throw new ValidationError(`generated rows: file not found: ${input}`);
    }
  }
  const maxRows = bytes / MIN_ARROW_BYTES_PER_ROW;
  return Math.max(1, Math.ceil(maxRows / budgetRows));
}

/** Removes rows whose tag set appeared earlier in the stable order. */
export async function dedupeGeneratedRows(params: DedupeParams): Promise<DedupeResult> {
  const budget = params.memoryBudgetRows ?? DEFAULT_DEDUPE_MEMORY_BUDGET_ROWS;
  if (!(budget >= 1))
    throw new ValidationError(`dedupe: memoryBudgetRows must be ≥ 1, got ${budget}`);
  const partitions = params.partitions ?? choosePartitions(params.inputs, budget);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 4096) {
    throw new ValidationError(
      `dedupe: partitions must be an integer in [1, 4096], got ${partitions}`,
    );
  }
  mkdirSync(params.outputDir, { recursive: true });
  const outputPaths = params.inputs.map((input, i) =>
    join(params.outputDir, outputNameFor(input, i)),
  );
  const counter = new GroupCounter();
  const keys = new TagSetKeys();

  if (partitions === 1) {
    const seen = new Set<string>();
    const outputs = await writeFiltered(params.inputs, outputPaths, ({ view }) => (i) => {
      counter.count(view, i, 'rowsIn');
      const key = keys.key(view.tags('seed_tags', i), view.tags('generated_tags', i));
      if (seen.has(key)) return false;
      seen.add(key);
      counter.count(view, i, 'rowsOut');
      return true;
    });
    return summarise(outputs, counter, partitions);
  }

  mkdirSync(params.workDir, { recursive: true });
  const scratch = mkdtempSync(join(params.workDir, 'dedupe-'));
  try {
    // Pass 1: route every row's key to its partition file.
    const files = Array.from(
      { length: partitions },
      (_, p) => new PartitionFile(join(scratch, `partition-${String(p).padStart(4, '0')}.bin`)),
    );
    let rows = 0;
    try {
      for await (const { view, firstRow, path } of scanGeneratedRows(params.inputs)) {
        if (firstRow + view.length > MAX_ROWS) {
          throw new ValidationError(
            `dedupe: more than ${MAX_ROWS} rows (at ${path}); not supported`,
          );
        }
        for (let i = 0; i < view.length; i++) {
          counter.count(view, i, 'rowsIn');
          keys.collect(view.tags('seed_tags', i), view.tags('generated_tags', i));
          files[partitionOf(keys.ids, partitions)].append(firstRow + i, keys.ids);
        }
        rows = firstRow + view.length;
      }
    } finally {
      for (const file of files) file.close();
    }

    // Pass 2: first occurrences, one partition in memory at a time.
    const keep = new Bitset(rows);
    for (const file of files) {
      const bytes = readFileSync(file.path);
      const words =
        bytes.byteOffset % 2 === 0
          ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)
          : new Uint16Array(new Uint8Array(bytes).buffer);
      const seen = new Set<string>();
      let at = 0;
      while (at < words.length) {
        const position = words[at] + words[at + 1] * 65_536;
        const count = words[at + 2];
        const key = keyOf(words.subarray(at + 3, at + 3 + count));
        at += 3 + count;
        if (seen.has(key)) continue;
        seen.add(key);
        keep.set(position);
      }
      rmSync(file.path);
    }

    // Pass 3: write the kept rows.
    const outputs = await writeFiltered(
      params.inputs,
      outputPaths,
      ({ view, firstRow }) =>
        (i) => {
          if (!keep.has(firstRow + i)) return false;
          counter.count(view, i, 'rowsOut');
          return true;
        },
      false,
    );
    return summarise(outputs, counter, partitions);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** One streaming pass over the inputs, writing the rows `keeper` accepts, file for file. */
async function writeFiltered(
  inputs: readonly string[],
  outputPaths: readonly string[],
  keeper: (scanned: ScannedBatch) => (i: number) => boolean,
  checkOrder = true,
): Promise<ArrowManifest[]> {
  const outputs: ArrowManifest[] = [];
  let current: ArrowFileBuffer | null = null;
  const advanceTo = (fileIndex: number) => {
    while (outputs.length + (current ? 1 : 0) <= fileIndex) {
      if (current) outputs.push(current.finish());
      const next = outputs.length;
      current = next < inputs.length ? new ArrowFileBuffer(outputPaths[next]) : null;
      if (!current) return;
    }
  };
  for await (const scanned of scanGeneratedRows(inputs, { checkOrder })) {
    advanceTo(scanned.fileIndex);
    const filtered = filterGeneratedRows(scanned.batch, scanned.view, keeper(scanned));
    if (filtered) current!.push(filtered);
  }
  advanceTo(inputs.length);
  return outputs;
}

function summarise(
  outputs: ArrowManifest[],
  counter: GroupCounter,
  partitions: number,
): DedupeResult {
  const groups = counter.report();
  return {
    outputs,
    rowsIn: groups.reduce((sum, g) => sum + g.rowsIn, 0),
    rowsOut: groups.reduce((sum, g) => sum + g.rowsOut, 0),
    groups,
    partitions,
  };
}
