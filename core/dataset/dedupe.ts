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
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { ValidationError } from '../errors.js';
import type { ArrowManifest } from '../io/index.js';
import {
  ArrowFileBuffer,
  GeneratedRowsBuilder,
  type GeneratedRowsView,
  MODE_NAMES,
  type ScannedBatch,
  scanGeneratedRows,
} from '../rows/index.js';

export interface DedupeGroupReport {
  mode: 'seeded' | 'latent';
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

/**
 * The identity of a row as a string of UTF-16 code units, one per tag id, sorted and unique.
 * A JavaScript string key lets a plain Set do hashing and exact comparison. `scratch` is
 * reused between calls and grown when needed.
 */
export class TagSetKeys {
  private scratch = new Uint16Array(64);
  /** Number of ids in the last key (valid in `ids` until the next call). */
  length = 0;

  get ids(): Uint16Array {
    return this.scratch.subarray(0, this.length);
  }

  /** Sorts and de-duplicates seed ∪ generated into `ids`; returns the count. */
  collect(seed: ArrayLike<number>, generated: ArrayLike<number>): number {
    const n = seed.length + generated.length;
    if (n > this.scratch.length) this.scratch = new Uint16Array(n * 2);
    const s = this.scratch;
    for (let i = 0; i < seed.length; i++) s[i] = seed[i];
    for (let i = 0; i < generated.length; i++) s[seed.length + i] = generated[i];
    // Insertion sort: tag sets are short.
    for (let i = 1; i < n; i++) {
      const v = s[i];
      let j = i - 1;
      while (j >= 0 && s[j] > v) {
        s[j + 1] = s[j];
        j--;
      }
      s[j + 1] = v;
    }
    let m = 0;
    for (let i = 0; i < n; i++) if (m === 0 || s[i] !== s[m - 1]) s[m++] = s[i];
    this.length = m;
    return m;
  }

  key(seed: ArrayLike<number>, generated: ArrayLike<number>): string {
    this.collect(seed, generated);
    return keyOf(this.ids);
  }
}

function keyOf(ids: Uint16Array): string {
  // fromCharCode over a typed array; chunked so huge tag sets stay under the argument limit.
  if (ids.length <= 4096) return String.fromCharCode.apply(null, ids as unknown as number[]);
  let out = '';
  for (let i = 0; i < ids.length; i += 4096)
    out += String.fromCharCode.apply(null, ids.subarray(i, i + 4096) as unknown as number[]);
  return out;
}

/** FNV-1a over the ids, then a murmur3 finaliser: spreads tag sets over partitions. */
function partitionOf(ids: Uint16Array, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ ids[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % partitions;
}

/** Buffered appender of (position, ids) records as 16-bit words: lo, hi, count, ids… */
class PartitionFile {
  private readonly fd: number;
  private buffer = new Uint16Array(32_768);
  private used = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  append(position: number, ids: Uint16Array): void {
    const need = 3 + ids.length;
    if (this.used + need > this.buffer.length) {
      this.flush();
      if (need > this.buffer.length) this.buffer = new Uint16Array(need * 2);
    }
    const b = this.buffer;
    b[this.used] = position & 0xffff;
    b[this.used + 1] = position >>> 16;
    b[this.used + 2] = ids.length;
    b.set(ids, this.used + 3);
    this.used += need;
  }

  flush(): void {
    if (this.used === 0) return;
    const bytes = new Uint8Array(this.buffer.buffer, 0, this.used * 2);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

class Bitset {
  readonly bits: Uint8Array;
  constructor(size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }
  set(i: number): void {
    this.bits[i >>> 3] |= 1 << (i & 7);
  }
  has(i: number): boolean {
    return (this.bits[i >>> 3] & (1 << (i & 7))) !== 0;
  }
}

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
    const id = view.temperatureIndex[i] * 2 + view.mode[i];
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
