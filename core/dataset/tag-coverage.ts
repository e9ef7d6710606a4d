// Tag coverage (generation.minRowsPerTag = N): after dedupe, every taxonomy tag should occur in
// at least N rows of the dataset. Tags short of N get top-up rows conditioned on them
// (core/generation/concept-rows.ts: the tag through the encoder, kept in the row), in rounds:
//
//   scan     count the rows per tag in the deduplicated rows, and keep the tag-set keys of
//            every row that holds a tag still short when the row is seen: a candidate for tag
//            t always holds t, so it can only repeat a row that holds t, and all of those are
//            kept while t is short (at most N rows per tag);
//   plan     per short tag, candidates [from, to) continuing its index range: twice its deficit
//            over the share of new tag sets its last round gave (1 in the first round);
//   merge    tags in taxonomy order, candidates in index order: while the tag is short, a
//            candidate whose tag set is new joins the dataset (its tags all count), a repeat is
//            dropped.
//
// A tag whose last round gave no new tag set is given up (the model keeps repeating the same
// combinations with it); after COVERAGE_ROUNDS rounds the rest stop too. Both are reported
// with the numbers behind them. Everything is a pure function of the rows and candidates, in
// a fixed order: the result does not depend on how the candidates were chunked or computed.
import type { Taxonomy } from '../inputs/index.js';
import type { CoverageRange } from '../plan.js';
import type { GeneratedRow } from '../rows/index.js';
import { Mode } from '../rows/index.js';
import { keyOf, TagSetKeys } from './dedupe-partitions.js';

/** Rounds of top-up generation at most. */
export const COVERAGE_ROUNDS = 4;
/** Fewest candidates a short tag gets in a round. */
const MIN_CANDIDATES = 16;
/** A round never plans more than this many candidates per missing row. */
const MAX_CANDIDATES_PER_ROW = 128;

/** Counts rows per tag and keeps the keys top-up candidates must not repeat (see the file comment). */
export class CoverageScan {
  readonly counts: Int32Array;
  readonly keys = new Set<string>();
  private readonly tagSets = new TagSetKeys();

  constructor(
    tags: number,
    readonly minRows: number,
  ) {
    this.counts = new Int32Array(tags);
  }

  add(seed: ArrayLike<number>, generated: ArrayLike<number>): void {
    this.tagSets.collect(seed, generated);
    const ids = this.tagSets.ids;
    let short = false;
    for (const id of ids) {
      if (this.counts[id] < this.minRows) short = true;
      this.counts[id]++;
    }
    if (short) this.keys.add(keyOf(ids));
  }
}

const BASE_MAGIC = 0x74637631; // "tcv1"

/** A scan as bytes (the run folder keeps it between rounds): header, counts, then [length, ids…] per key. */
export function encodeCoverageScan(scan: CoverageScan): Uint8Array {
  let words = 0;
  for (const key of scan.keys) words += 1 + key.length;
  const head = 16 + 4 * scan.counts.length;
  const bytes = new Uint8Array(head + 2 * words);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, BASE_MAGIC, true);
  view.setUint32(4, scan.counts.length, true);
  view.setUint32(8, scan.minRows, true);
  view.setUint32(12, scan.keys.size, true);
  for (let j = 0; j < scan.counts.length; j++) view.setInt32(16 + 4 * j, scan.counts[j], true);
  let at = head;
  for (const key of scan.keys) {
    view.setUint16(at, key.length, true);
    at += 2;
    for (let k = 0; k < key.length; k++, at += 2) view.setUint16(at, key.charCodeAt(k), true);
  }
  return bytes;
}

export function decodeCoverageScan(bytes: Uint8Array, source: string): CoverageScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 16 || view.getUint32(0, true) !== BASE_MAGIC)
    throw new Error(`${source}: not a tag-coverage scan`);
  const scan = new CoverageScan(view.getUint32(4, true), view.getUint32(8, true));
  const keys = view.getUint32(12, true);
  scan.counts.forEach((_, j) => {
    scan.counts[j] = view.getInt32(16 + 4 * j, true);
  });
  let at = 16 + 4 * scan.counts.length;
  for (let k = 0; k < keys; k++) {
    const length = view.getUint16(at, true);
    const ids = new Uint16Array(length);
    for (let i = 0; i < length; i++) ids[i] = view.getUint16(at + 2 + 2 * i, true);
    at += 2 + 2 * length;
    scan.keys.add(keyOf(ids));
  }
  if (at !== bytes.byteLength) throw new Error(`${source}: truncated tag-coverage scan`);
  return scan;
}

/** A top-up candidate: the tag it was conditioned on first, then the selected tags. */
export interface CoverageCandidateRow {
  temperatureIndex: number;
  temperature: number;
  tags: ArrayLike<number>;
}

interface TagRecord {
  tag: number;
  before: number;
  /** Candidate indices used so far: the next round starts here. */
  candidates: number;
  added: number;
  lastExamined: number;
  lastFresh: number;
}

export interface CoverageTagReport {
  tag: string;
  category: string;
  /** Rows holding the tag after dedupe, before any top-up. */
  before: number;
  /** Top-up rows conditioned on the tag that joined the dataset. */
  added: number;
  /** Rows holding the tag in the published dataset (top-ups for other tags count too). */
  after: number;
  /** Rows conditioned on the tag that were generated. */
  candidates: number;
  reached: boolean;
  /** Why the tag is still short of minRowsPerTag (absent when reached). */
  reason?: string;
}

export interface CoverageReport {
  minRowsPerTag: number;
  /** Rounds of top-up generation that ran. */
  rounds: number;
  /** Top-up candidates generated, over all tags and rounds. */
  candidates: number;
  rowsAdded: number;
  /** Every tag short of minRowsPerTag after dedupe, in taxonomy order. */
  tags: CoverageTagReport[];
}

/** Accepted top-ups, packed (a run may add millions): the tag, temperature and tags of each. */
class AcceptedRows {
  length = 0;
  private readonly tag: number[] = [];
  private readonly temperatureIndex: number[] = [];
  private readonly temperature: number[] = [];
  private offsets: Int32Array = new Int32Array(1024);
  private values = new Uint16Array(8192);

  push(tag: number, row: CoverageCandidateRow): void {
    const i = this.length++;
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, 2 * this.offsets.length);
    const start = this.offsets[i];
    const end = start + row.tags.length;
    if (end > this.values.length)
      this.values = grow(this.values, Math.max(end, 2 * this.values.length));
    this.values.set(row.tags, start);
    this.offsets[i + 1] = end;
    this.tag.push(tag);
    this.temperatureIndex.push(row.temperatureIndex);
    this.temperature.push(row.temperature);
  }

  /** As generated rows ordered by (temperature index, acceptance order = row index). */
  *inStableOrder(): Generator<GeneratedRow> {
    const order = Array.from({ length: this.length }, (_, i) => i);
    order.sort((a, b) => this.temperatureIndex[a] - this.temperatureIndex[b] || a - b);
    for (const i of order) {
      yield {
        mode: Mode.coverage,
        temperatureIndex: this.temperatureIndex[i],
        temperature: this.temperature[i],
        rowIndex: i,
        sourceId: null,
        seedTags: [this.tag[i]],
        // The candidate's first tag is the one it was conditioned on: the seed.
        generatedTags: this.values.subarray(this.offsets[i] + 1, this.offsets[i + 1]),
        originalTags: [],
      };
    }
  }
}

function grow<T extends Int32Array | Uint16Array>(array: T, size: number): T {
  const out = new (array.constructor as new (n: number) => T)(size);
  out.set(array);
  return out;
}

/** The top-up state of a run: the scan's counts and keys, grown by each merged round. */
export class TagCoverage {
  readonly rows: Int32Array;
  private readonly minRows: number;
  private readonly keys: Set<string>;
  private readonly records: TagRecord[] = [];
  private readonly accepted = new AcceptedRows();
  private readonly tagSets = new TagSetKeys();
  rounds = 0;

  constructor(
    private readonly taxonomy: Taxonomy,
    scan: CoverageScan,
  ) {
    this.minRows = scan.minRows;
    this.rows = Int32Array.from(scan.counts);
    this.keys = new Set(scan.keys);
    scan.counts.forEach((n, tag) => {
      if (n < scan.minRows)
        this.records.push({
          tag,
          before: n,
          candidates: 0,
          added: 0,
          lastExamined: 0,
          lastFresh: 0,
        });
    });
  }

  private short(record: TagRecord): boolean {
    return this.rows[record.tag] < this.minRows;
  }

  /** Top-up rows accepted so far. */
  get rowsAdded(): number {
    return this.accepted.length;
  }

  /** Tags still short of minRowsPerTag. */
  tagsShort(): number {
    return this.records.filter((r) => this.short(r)).length;
  }

  /** Its last round gave no new tag set: more candidates would repeat the same ones. */
  private saturated(record: TagRecord): boolean {
    return record.lastExamined > 0 && record.lastFresh === 0;
  }

  /** The next round's candidate ranges (none: done, every tag reached or given up, or out of rounds). */
  nextRanges(): CoverageRange[] {
    if (this.rounds >= COVERAGE_ROUNDS) return [];
    const ranges: CoverageRange[] = [];
    for (const record of this.records) {
      if (!this.short(record) || this.saturated(record)) continue;
      const deficit = this.minRows - this.rows[record.tag];
      const share = record.lastExamined > 0 ? record.lastFresh / record.lastExamined : 1;
      const size = Math.max(
        MIN_CANDIDATES,
        Math.ceil(Math.min((2 * deficit) / share, MAX_CANDIDATES_PER_ROW * deficit)),
      );
      ranges.push({ tag: record.tag, from: record.candidates, to: record.candidates + size });
    }
    return ranges;
  }

  /**
   * Merges the candidates of the round `nextRanges()` planned: `rows` holds every range's
   * candidates in index order, range after range (streamed: a round may hold millions).
   */
  async merge(
    ranges: readonly CoverageRange[],
    rows: Iterable<CoverageCandidateRow> | AsyncIterable<CoverageCandidateRow>,
  ): Promise<void> {
    const byTag = new Map(this.records.map((r) => [r.tag, r]));
    const source =
      Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : rows[Symbol.iterator]();
    for (const range of ranges) {
      const record = byTag.get(range.tag);
      if (!record || range.from !== record.candidates)
        throw new Error(`coverage: round ${this.rounds} does not continue tag ${range.tag}`);
      let examined = 0;
      let fresh = 0;
      for (let i = range.from; i < range.to; i++) {
        const next = await source.next();
        if (next.done)
          throw new Error(
            `coverage: tag ${this.taxonomy.tags[range.tag]} has ${i - range.from} candidates in [${range.from}, ${range.to})`,
          );
        if (!this.short(record)) continue;
        examined++;
        this.tagSets.collect(next.value.tags, []);
        const key = keyOf(this.tagSets.ids);
        if (this.keys.has(key)) continue;
        this.keys.add(key);
        for (const id of this.tagSets.ids) this.rows[id]++;
        this.accepted.push(range.tag, next.value);
        fresh++;
      }
      record.candidates = range.to;
      record.added += fresh;
      record.lastExamined = examined;
      record.lastFresh = fresh;
    }
    if (!(await source.next()).done)
      throw new Error(`coverage: round ${this.rounds} has more candidates than it planned`);
    this.rounds++;
  }

  /**
   * The accepted top-ups as generated rows in the stable order (temperature index, then the
   * order they were accepted in, which is their row index).
   */
  *generatedRows(): Generator<GeneratedRow> {
    yield* this.accepted.inStableOrder();
  }

  report(): CoverageReport {
    const { taxonomy } = this;
    return {
      minRowsPerTag: this.minRows,
      rounds: this.rounds,
      candidates: this.records.reduce((n, r) => n + r.candidates, 0),
      rowsAdded: this.accepted.length,
      tags: this.records.map((record) => {
        const after = this.rows[record.tag];
        const reached = after >= this.minRows;
        return {
          tag: taxonomy.tags[record.tag],
          category: taxonomy.categories[taxonomy.tagCategory[record.tag]],
          before: record.before,
          added: record.added,
          after,
          candidates: record.candidates,
          reached,
          ...(reached ? {} : { reason: this.reason(record) }),
        };
      }),
    };
  }

  private reason(record: TagRecord): string {
    const sets = `${record.added} new tag set${record.added === 1 ? '' : 's'}`;
    const gave = `${record.candidates} rows conditioned on it gave ${sets}`;
    if (this.saturated(record))
      return `the model repeats the same few tag sets with it: ${gave}, the last ${record.lastExamined} none`;
    const share = record.lastExamined > 0 ? record.lastFresh / record.lastExamined : 0;
    return `still short after ${this.rounds} rounds: ${gave} (${(100 * share).toFixed(1)} % of the last round's were new)`;
  }
}
