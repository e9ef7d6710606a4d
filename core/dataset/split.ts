// Stage 6: assign every (deduplicated) row to train, validation or test.
//
// Each row draws one uniform u from its own keyed stream (run seed, Stage.Split, the
// row's temperature index and mode, its row index), so a row's draw never depends on how
// the rows are chunked into files. Within a stratum (the whole dataset but its coverage rows,
// which are a stratum of their own, or one (temperature, mode) group when stratifying) rows
// are ranked by (u, position in the stable order): the lowest ranks go to train, the next to
// validation, the rest to test.
//
// Exact sizes follow the notebook's two calls to scikit-learn's train_test_split
// (test_size = validation + test, then test_size = test / (validation + test) of the held
// out part), whose sizes are ceil(ratio × n):
//   held out   = ceil((validation + test) × n)       train      = n − held out
//   test       = ceil(test / (validation + test) × held out)
//   validation = held out − test
// with ceil taken after subtracting 1e-9, so float noise (0.1 × 30 = 3.0000000000000004)
// does not add a row. On 16,043 rows at 90/5/5 this gives 14,438 / 802 / 803, the
// notebook's sizes.
//
// Ranking without holding every row: pass 1 counts rows per stratum and histograms u into
// 4,096 buckets (keeping the draws in memory when they fit memoryBudgetRows, 12 bytes a
// row); pass 2 collects only the rows of the buckets that hold a split boundary and
// sorts them to find the exact boundary rows; pass 3 assigns and writes each split in order
// into files of at most maxRowsPerFile rows (give or take one input batch).

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { ValidationError } from '../errors.js';
import type { ArrowManifest } from '../io/index.js';
import { rowStream, Stage } from '../rng.js';
import {
  ArrowFileBuffer,
  groupIdOf,
  MODE_NAMES,
  Mode,
  type ModeName,
  type ScannedBatch,
  scanGeneratedRows,
} from '../rows/index.js';
import { filterGeneratedRows } from './dedupe.js';

export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

export const DEFAULT_SPLIT_RATIOS: SplitRatios = { train: 0.9, validation: 0.05, test: 0.05 };

/**
 * Fills missing ratios from the default (when all three are missing) or requires all three,
 * and checks them: each in [0, 1], train > 0, sum 1 within 1e-9.
 */
export function validateSplitRatios(r: Partial<SplitRatios> = {}): SplitRatios {
  const given = SPLIT_NAMES.filter((name) => r[name] !== undefined);
  if (given.length === 0) return { ...DEFAULT_SPLIT_RATIOS };
  if (given.length < 3) {
    const missing = SPLIT_NAMES.filter((name) => r[name] === undefined);
    throw new ValidationError(
      `split ratios: ${missing.join(' and ')} missing; give all of train, validation and test (they must sum to 1)`,
    );
  }
  for (const name of SPLIT_NAMES) {
    const value = r[name] as number;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new ValidationError(
        `split ratios: ${name} must be a number in [0, 1], got ${JSON.stringify(value)}`,
      );
    }
  }
  const ratios = r as SplitRatios;
  if (!(ratios.train > 0)) throw new ValidationError('split ratios: train must be greater than 0');
  const sum = ratios.train + ratios.validation + ratios.test;
  if (Math.abs(sum - 1) > 1e-9) {
    throw new ValidationError(
      `split ratios: train + validation + test must be 1, got ${ratios.train} + ${ratios.validation} + ${ratios.test} = ${sum}`,
    );
  }
  return { train: ratios.train, validation: ratios.validation, test: ratios.test };
}

const EPSILON = 1e-9;
const ceilTolerant = (x: number) => Math.max(0, Math.ceil(x - EPSILON));

/** Exact split sizes for `n` rows (see the file comment for the rounding). */
export function splitSizes(n: number, ratios: SplitRatios): Record<SplitName, number> {
  const heldFraction = ratios.validation + ratios.test;
  const heldOut = Math.min(n, ceilTolerant(heldFraction * n));
  const test =
    heldFraction > 0 ? Math.min(heldOut, ceilTolerant((ratios.test / heldFraction) * heldOut)) : 0;
  return { train: n - heldOut, validation: heldOut - test, test };
}

export interface SplitGroupCounts {
  mode: ModeName;
  temperatureIndex: number;
  temperature: number;
  train: number;
  validation: number;
  test: number;
}

export interface SplitResult {
  /** Per split, its rows in the stable order: `<split>/part-NNNNN.arrow`, at least one file (possibly empty). */
  outputs: Record<SplitName, ArrowManifest[]>;
  counts: Record<SplitName, number>;
  /** Per (temperature index, mode), in the stable order. */
  byGroup: SplitGroupCounts[];
}

export interface SplitParams {
  /** Deduplicated generated-row files, in the stable order. */
  inputs: string[];
  /** Gets train/, validation/ and test/ subfolders. */
  outputDir: string;
  seed: number;
  ratios: SplitRatios;
  /** Rank and size each (temperature index, mode) group on its own. */
  stratify?: boolean;
  /** Most rows whose draws are kept in memory between passes (12 bytes each; default 4,000,000). */
  memoryBudgetRows?: number;
  /** Rows per output file before a new one is started (default 1,000,000; a file is built in memory). */
  maxRowsPerFile?: number;
}

export const DEFAULT_MAX_ROWS_PER_FILE = 1_000_000;
export const DEFAULT_SPLIT_MEMORY_BUDGET_ROWS = 4_000_000;

const BUCKETS = 4096;

interface Stratum {
  count: number;
  histogram: Uint32Array;
  /** Rank boundaries: first rank of validation, first rank of test. */
  boundaries: [number, number];
  /** For each boundary, the bucket it falls in and its rank within that bucket. */
  targets: { bucket: number; rankInBucket: number }[];
  /** The boundary rows, as (u, position); filled in pass 2. */
  thresholds: { u: number; position: number }[];
  /** Pass 2 scratch: (u, position) of rows in boundary buckets. */
  candidates: Map<number, { u: number; position: number }[]>;
}

/** The row's split draw. `groupId`: groupIdOf(temperature_index, mode). */
export function splitDraw(seed: number, groupId: number, rowIndex: number): number {
  return rowStream({
    seed,
    stage: Stage.Split,
    temperatureIndex: groupId,
    row: rowIndex,
  }).uniform();
}

function bucketOf(u: number): number {
  return Math.min(BUCKETS - 1, Math.floor(u * BUCKETS));
}

/** Splits rows into train / validation / test; see the file comment. */
export async function splitGeneratedRows(params: SplitParams): Promise<SplitResult> {
  const ratios = validateSplitRatios(params.ratios);
  if (!Number.isSafeInteger(params.seed) || params.seed < 0) {
    throw new ValidationError(
      `split: seed must be a non-negative safe integer, got ${params.seed}`,
    );
  }
  // Coverage rows are always split on their own: the other rows then fall exactly as they
  // would in the same run without them.
  const stratumOf = params.stratify
    ? (scanned: ScannedBatch, i: number) =>
        groupIdOf(scanned.view.temperatureIndex[i], scanned.view.mode[i])
    : (scanned: ScannedBatch, i: number) => (scanned.view.mode[i] === Mode.coverage ? 1 : 0);
  const strata = new Map<number, Stratum>();
  const groups = new Map<number, SplitGroupCounts>();

  // Pass 1: counts and histograms; the draws are kept while they fit the budget, so pass 2
  // can run from memory and pass 3 need not draw again.
  const budget = params.memoryBudgetRows ?? DEFAULT_SPLIT_MEMORY_BUDGET_ROWS;
  let cache: { u: Float64Array; stratum: Uint32Array } | null = {
    u: new Float64Array(1024),
    stratum: new Uint32Array(1024),
  };
  let rows = 0;
  for await (const scanned of scanGeneratedRows(params.inputs)) {
    const { view, firstRow } = scanned;
    if (cache && firstRow + view.length > cache.u.length) {
      if (firstRow + view.length > budget) cache = null;
      else {
        const size = Math.min(budget, Math.max(firstRow + view.length, cache.u.length * 2));
        const grown = { u: new Float64Array(size), stratum: new Uint32Array(size) };
        grown.u.set(cache.u);
        grown.stratum.set(cache.stratum);
        cache = grown;
      }
    }
    rows = firstRow + view.length;
    for (let i = 0; i < view.length; i++) {
      const id = stratumOf(scanned, i);
      let stratum = strata.get(id);
      if (!stratum) {
        stratum = {
          count: 0,
          histogram: new Uint32Array(BUCKETS),
          boundaries: [0, 0],
          targets: [],
          thresholds: [],
          candidates: new Map(),
        };
        strata.set(id, stratum);
      }
      const groupId = groupIdOf(view.temperatureIndex[i], view.mode[i]);
      const u = splitDraw(params.seed, groupId, view.rowIndex[i]);
      stratum.count++;
      stratum.histogram[bucketOf(u)]++;
      if (cache) {
        cache.u[firstRow + i] = u;
        cache.stratum[firstRow + i] = id;
      }
    }
  }

  // Which buckets hold the boundaries.
  for (const stratum of strata.values()) {
    const sizes = splitSizes(stratum.count, ratios);
    stratum.boundaries = [sizes.train, sizes.train + sizes.validation];
    for (const boundary of stratum.boundaries) {
      if (boundary >= stratum.count) {
        stratum.targets.push({ bucket: BUCKETS, rankInBucket: 0 }); // nothing past it
        continue;
      }
      let before = 0;
      let bucket = 0;
      while (before + stratum.histogram[bucket] <= boundary) before += stratum.histogram[bucket++];
      stratum.targets.push({ bucket, rankInBucket: boundary - before });
      stratum.candidates.set(bucket, []);
    }
  }

  // Pass 2: the boundary rows, exactly.
  if (cache) {
    for (let position = 0; position < rows; position++) {
      const u = cache.u[position];
      strata.get(cache.stratum[position])!.candidates.get(bucketOf(u))?.push({ u, position });
    }
  } else {
    for await (const scanned of scanGeneratedRows(params.inputs, { checkOrder: false })) {
      const { view, firstRow } = scanned;
      for (let i = 0; i < view.length; i++) {
        const stratum = strata.get(stratumOf(scanned, i))!;
        const groupId = groupIdOf(view.temperatureIndex[i], view.mode[i]);
        const u = splitDraw(params.seed, groupId, view.rowIndex[i]);
        stratum.candidates.get(bucketOf(u))?.push({ u, position: firstRow + i });
      }
    }
  }
  for (const stratum of strata.values()) {
    for (const list of stratum.candidates.values()) list.sort(compareDraws);
    stratum.thresholds = stratum.targets.map(({ bucket, rankInBucket }) =>
      bucket >= BUCKETS
        ? { u: Number.POSITIVE_INFINITY, position: 0 }
        : stratum.candidates.get(bucket)![rankInBucket],
    );
    stratum.candidates.clear();
  }

  // Pass 3: assign and write, a few large files per split.
  const maxRows = params.maxRowsPerFile ?? DEFAULT_MAX_ROWS_PER_FILE;
  const writers = Object.fromEntries(
    SPLIT_NAMES.map((name) => [
      name,
      new RollingArrowWriter(join(params.outputDir, name), maxRows),
    ]),
  ) as Record<SplitName, RollingArrowWriter>;
  for await (const scanned of scanGeneratedRows(params.inputs, { checkOrder: false })) {
    const { view, batch, firstRow } = scanned;
    const assigned = new Uint8Array(view.length);
    for (let i = 0; i < view.length; i++) {
      const stratum = strata.get(stratumOf(scanned, i))!;
      const groupId = groupIdOf(view.temperatureIndex[i], view.mode[i]);
      const draw = {
        u: cache ? cache.u[firstRow + i] : splitDraw(params.seed, groupId, view.rowIndex[i]),
        position: firstRow + i,
      };
      const split =
        compareDraws(draw, stratum.thresholds[0]) < 0
          ? 0
          : compareDraws(draw, stratum.thresholds[1]) < 0
            ? 1
            : 2;
      assigned[i] = split;
      let group = groups.get(groupId);
      if (!group) {
        group = {
          mode: MODE_NAMES[view.mode[i]],
          temperatureIndex: view.temperatureIndex[i],
          temperature: view.temperature[i],
          train: 0,
          validation: 0,
          test: 0,
        };
        groups.set(groupId, group);
      }
      group[SPLIT_NAMES[split]]++;
    }
    for (let s = 0; s < SPLIT_NAMES.length; s++) {
      const filtered = filterGeneratedRows(batch, view, (i) => assigned[i] === s);
      if (filtered) writers[SPLIT_NAMES[s]].push(filtered);
    }
  }
  const outputs = {} as Record<SplitName, ArrowManifest[]>;
  for (const name of SPLIT_NAMES) outputs[name] = writers[name].finish();

  const byGroup = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  const counts = { train: 0, validation: 0, test: 0 };
  for (const g of byGroup) for (const name of SPLIT_NAMES) counts[name] += g[name];
  return { outputs, counts, byGroup };
}

function compareDraws(a: { u: number; position: number }, b: { u: number; position: number }) {
  return a.u !== b.u ? (a.u < b.u ? -1 : 1) : a.position - b.position;
}

/** Writes batches into `<dir>/part-NNNNN.arrow`, starting a new file past `maxRows` rows. */
class RollingArrowWriter {
  private current: ArrowFileBuffer | null = null;
  private readonly done: ArrowManifest[] = [];

  constructor(
    private readonly dir: string,
    private readonly maxRows: number,
  ) {}

  private open() {
    const name = `part-${String(this.done.length).padStart(5, '0')}.arrow`;
    this.current = new ArrowFileBuffer(join(this.dir, name));
  }

  push(batch: RecordBatch): void {
    if (this.current && this.current.rows > 0 && this.current.rows + batch.numRows > this.maxRows) {
      this.done.push(this.current.finish());
      this.current = null;
    }
    if (!this.current) this.open();
    this.current!.push(batch);
  }

  finish(): ArrowManifest[] {
    if (!this.current) this.open();
    this.done.push(this.current!.finish());
    this.current = null;
    // Parts left by an earlier, larger run in the same folder are not ours.
    for (const name of readdirSync(this.dir)) {
      const match = /^part-(\d+)\.arrow$/.exec(name);
      if (match && Number(match[1]) >= this.done.length) rmSync(join(this.dir, name));
    }
    return this.done;
  }
}
