// Seeded rows against their own source tracks. A seeded row starts from a catalogue track: its
// seed tags are drawn from the track's tags and generation adds the rest. Compared with the
// reference corpus as a whole, seeded rows mostly show how the catalogue differs from the
// corpus; this yardstick asks instead what generation made of each track:
//
// - seed retention: the share of rows whose seed tags are all among the row's tags (should be 1);
// - source overlap: the mean, over rows with added tags, of the share of a row's added tags (its
//   tags that are not seeds) that are its source track's own tags; and the mean Jaccard index
//   of the row's tags and the track's;
// - plausibility of the added tags given the seeds: the mean lift in the reference of all
//   (seed tag, added tag) pairs of all rows, lift(a, b) = P(a, b) / (P(a)·P(b)) = N·n(a, b) /
//   (n(a)·n(b)), n counted in reference rows. 1 is chance, above 1 the two go together in the
//   reference, 0 they never meet there. A pair with a tag the reference never has has no lift
//   and is counted apart (`unseenPairs`). Also the share of pairs with lift above 1.
//
// Baseline: each row's added tags replaced by random tags, as many of each category, drawn
// without replacement from the category's tags other than the row's seeds, each ∝ its
// occurrences in the reference (uniformly when none of those left occurs there), scored the
// same way ("random-tag" figures). The draws come from the row's own keyed stream (run seed,
// Stage.EvaluationBaseline, temperature index, the row's catalogue row), so they do not depend
// on the order the rows arrive in.
//
// One streaming pass, memory fixed (a few sums per temperature run). Lift reads the reference's
// D×D pair counts, which are not kept above MAX_COOCCURRENCE_TAGS tags: then lift and the
// random baseline are skipped (null).
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
import { RowStream, Stage, StreamFamily } from '../rng.js';
import type { TagSetStats } from './metrics.js';

/** Where a seeded row came from. */
export interface SeededSource {
  /** The row's catalogue row: keys its stream of random baseline tags. */
  row: number;
  seedTags: ArrayLike<number>;
  /** The source track's own tags (the dataset's `original_aspect_list`). */
  tags: ArrayLike<number>;
}

export interface SeededYardstickRow {
  temperatureIndex: number;
  temperature: number;
  /** The row's tags as published: its seed tags, then the tags generation added. */
  tags: ArrayLike<number>;
  source: SeededSource;
}

/** Lift in the reference of (seed tag, other tag) pairs. */
export interface PairLift {
  /** Pairs whose two tags both occur in the reference. */
  pairs: number;
  /** Pairs with a tag that never occurs in the reference: no lift, left out of the mean. */
  unseenPairs: number;
  /** Mean lift of the `pairs`; null when there are none. */
  meanLift: number | null;
  /** Share of the `pairs` with lift above 1; null when there are none. */
  aboveOne: number | null;
}

export interface SeededFigures {
  rows: number;
  /** Share of rows whose seed tags are all among the row's tags. */
  seedRetention: number;
  meanSeedTags: number;
  meanAddedTags: number;
  /** Mean share of a row's added tags that are its source track's tags (rows with added tags). */
  addedInSource: number | null;
  /** The same for the random baseline tags; null when the baseline is skipped. */
  randomInSource: number | null;
  /** Mean Jaccard index of the row's tags and its source track's tags. */
  sourceJaccard: number;
  /** (seed tag, added tag) pairs; null above MAX_COOCCURRENCE_TAGS tags. */
  addedLift: PairLift | null;
  /** (seed tag, random tag) pairs: the baseline; null above MAX_COOCCURRENCE_TAGS tags. */
  randomLift: PairLift | null;
}

export interface SeededTemperatureFigures {
  temperatureIndex: number;
  temperature: number;
  figures: SeededFigures;
}

export interface SeededYardstickReport {
  /** The run seed the random baseline tags were drawn with. */
  baselineSeed: number;
  overall: SeededFigures;
  /** By temperature index. */
  byTemperature: SeededTemperatureFigures[];
}

class LiftSums {
  pairs = 0;
  unseen = 0;
  sum = 0;
  aboveOne = 0;

  merge(o: LiftSums): void {
    this.pairs += o.pairs;
    this.unseen += o.unseen;
    this.sum += o.sum;
    this.aboveOne += o.aboveOne;
  }

  figures(): PairLift {
    const n = this.pairs;
    return {
      pairs: n,
      unseenPairs: this.unseen,
      meanLift: n === 0 ? null : this.sum / n,
      aboveOne: n === 0 ? null : this.aboveOne / n,
    };
  }
}

class Sums {
  rows = 0;
  retained = 0;
  seedTags = 0;
  addedTags = 0;
  rowsWithAdded = 0;
  addedInSource = 0;
  randomInSource = 0;
  jaccard = 0;
  added = new LiftSums();
  random = new LiftSums();

  merge(o: Sums): void {
    this.rows += o.rows;
    this.retained += o.retained;
    this.seedTags += o.seedTags;
    this.addedTags += o.addedTags;
    this.rowsWithAdded += o.rowsWithAdded;
    this.addedInSource += o.addedInSource;
    this.randomInSource += o.randomInSource;
    this.jaccard += o.jaccard;
    this.added.merge(o.added);
    this.random.merge(o.random);
  }

  figures(withLift: boolean): SeededFigures {
    const withAdded = this.rowsWithAdded;
    return {
      rows: this.rows,
      seedRetention: this.retained / this.rows,
      meanSeedTags: this.seedTags / this.rows,
      meanAddedTags: this.addedTags / this.rows,
      addedInSource: withAdded === 0 ? null : this.addedInSource / withAdded,
      randomInSource: !withLift || withAdded === 0 ? null : this.randomInSource / withAdded,
      sourceJaccard: this.jaccard / this.rows,
      addedLift: withLift ? this.added.figures() : null,
      randomLift: withLift ? this.random.figures() : null,
    };
  }
}

// Marks of a tag within the row being scored.
const IN_ROW = 1;
const SEED = 2;
const IN_SOURCE = 4;
const DRAWN = 8;

/** Streaming: `add` each seeded row (any order), then `report()`. */
export class SeededYardstick {
  private readonly taxonomy: Taxonomy;
  private readonly reference: TagSetStats;
  private readonly pairCounts: Float64Array | null;
  private readonly seed: number;
  private readonly marks: Uint8Array;
  private readonly rowTags: Int32Array;
  private readonly seeds: Int32Array;
  private readonly sourceTags: Int32Array;
  private readonly added: Int32Array;
  private readonly drawn: Int32Array;
  private readonly perCategory: Int32Array;
  private readonly stream = new RowStream();
  private readonly families = new Map<number, StreamFamily>();
  private readonly overall = new Sums();
  private readonly groups = new Map<number, { temperature: number; sums: Sums }>();

  /** `reference`: the reference corpus's accumulator (its tag and pair counts give the lift). */
  constructor(params: { taxonomy: Taxonomy; reference: TagSetStats; seed?: number }) {
    const seed = params.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seeded yardstick: seed must be a non-negative integer, got ${seed}`);
    }
    this.taxonomy = params.taxonomy;
    this.reference = params.reference;
    this.pairCounts = params.reference.pairCounts;
    this.seed = seed;
    const D = params.taxonomy.size;
    this.marks = new Uint8Array(D);
    this.rowTags = new Int32Array(D);
    this.seeds = new Int32Array(D);
    this.sourceTags = new Int32Array(D);
    this.added = new Int32Array(D);
    this.drawn = new Int32Array(D);
    this.perCategory = new Int32Array(params.taxonomy.categories.length);
  }

  get rows(): number {
    return this.overall.rows;
  }

  add(row: SeededYardstickRow, where = `seeded row ${this.overall.rows}`): void {
    const { source } = row;
    if (!Number.isSafeInteger(source.row) || source.row < 0) {
      throw new ValidationError(
        `${where}: source row must be a non-negative integer, got ${source.row}`,
      );
    }
    if (!Number.isSafeInteger(row.temperatureIndex) || row.temperatureIndex < 0) {
      throw new ValidationError(
        `${where}: temperature index must be a non-negative integer, got ${row.temperatureIndex}`,
      );
    }
    // Checked before anything is marked, so a refused row leaves no marks behind.
    this.check(row.tags, where, 'tag');
    this.check(source.seedTags, where, 'seed tag');
    this.check(source.tags, where, 'source tag');

    const { marks } = this;
    const { tagCategory } = this.taxonomy;
    const nRow = this.collect(row.tags, IN_ROW, this.rowTags);
    const nSeeds = this.collect(source.seedTags, SEED, this.seeds);
    const nSource = this.collect(source.tags, IN_SOURCE, this.sourceTags);

    const sums = new Sums();
    sums.rows = 1;
    let retained = 1;
    for (let k = 0; k < nSeeds; k++) if (!(marks[this.seeds[k]] & IN_ROW)) retained = 0;
    sums.retained = retained;
    sums.seedTags = nSeeds;
    this.perCategory.fill(0);
    let nAdded = 0;
    let addedInSource = 0;
    let shared = 0;
    for (let k = 0; k < nRow; k++) {
      const t = this.rowTags[k];
      if (marks[t] & IN_SOURCE) shared++;
      if (marks[t] & SEED) continue;
      this.added[nAdded++] = t;
      this.perCategory[tagCategory[t]]++;
      if (marks[t] & IN_SOURCE) addedInSource++;
    }
    sums.addedTags = nAdded;
    const union = nRow + nSource - shared;
    sums.jaccard = union === 0 ? 1 : shared / union;
    if (nAdded > 0) {
      sums.rowsWithAdded = 1;
      sums.addedInSource = addedInSource / nAdded;
    }

    let nDrawn = 0;
    if (this.pairCounts) {
      this.scorePairs(nSeeds, this.added, nAdded, sums.added);
      nDrawn = this.draw(row.temperatureIndex, source.row);
      let drawnInSource = 0;
      for (let k = 0; k < nDrawn; k++) if (marks[this.drawn[k]] & IN_SOURCE) drawnInSource++;
      if (nDrawn > 0) sums.randomInSource = drawnInSource / nDrawn;
      this.scorePairs(nSeeds, this.drawn, nDrawn, sums.random);
    }

    for (let k = 0; k < nRow; k++) marks[this.rowTags[k]] = 0;
    for (let k = 0; k < nSeeds; k++) marks[this.seeds[k]] = 0;
    for (let k = 0; k < nSource; k++) marks[this.sourceTags[k]] = 0;
    for (let k = 0; k < nDrawn; k++) marks[this.drawn[k]] = 0;

    this.overall.merge(sums);
    let group = this.groups.get(row.temperatureIndex);
    if (!group) {
      group = { temperature: row.temperature, sums: new Sums() };
      this.groups.set(row.temperatureIndex, group);
    }
    group.sums.merge(sums);
  }

  /** The figures, overall and per temperature run; null before any row. */
  report(): SeededYardstickReport | null {
    if (this.overall.rows === 0) return null;
    const withLift = this.pairCounts !== null;
    return {
      baselineSeed: this.seed,
      overall: this.overall.figures(withLift),
      byTemperature: [...this.groups]
        .sort((a, b) => a[0] - b[0])
        .map(([temperatureIndex, g]) => ({
          temperatureIndex,
          temperature: g.temperature,
          figures: g.sums.figures(withLift),
        })),
    };
  }

  private check(tags: ArrayLike<number>, where: string, what: string): void {
    const D = this.taxonomy.size;
    for (let k = 0; k < tags.length; k++) {
      const t = tags[k];
      if (!Number.isInteger(t) || t < 0 || t >= D) {
        throw new ValidationError(`${where}: ${what} id ${t} is not in the taxonomy (0..${D - 1})`);
      }
    }
  }

  /** Marks `tags` with `bit` and lists each distinct one in `out`; returns how many. */
  private collect(tags: ArrayLike<number>, bit: number, out: Int32Array): number {
    let n = 0;
    for (let k = 0; k < tags.length; k++) {
      const t = tags[k];
      if (this.marks[t] & bit) continue;
      this.marks[t] |= bit;
      out[n++] = t;
    }
    return n;
  }

  /** Adds the lift of every (seed, tag) pair of the row to `sums`. */
  private scorePairs(nSeeds: number, tags: Int32Array, n: number, sums: LiftSums): void {
    const counts = this.reference.tagCounts;
    const pairs = this.pairCounts!;
    const N = this.reference.rows;
    for (let s = 0; s < nSeeds; s++) {
      const a = this.seeds[s];
      for (let k = 0; k < n; k++) {
        const b = tags[k];
        if (a === b) continue;
        const na = counts[a];
        const nb = counts[b];
        if (na === 0 || nb === 0) {
          sums.unseen++;
          continue;
        }
        const both = pairs[a < b ? this.reference.pairIndex(a, b) : this.reference.pairIndex(b, a)];
        const lift = (N * both) / (na * nb);
        sums.pairs++;
        sums.sum += lift;
        if (lift > 1) sums.aboveOne++;
      }
    }
  }

  /**
   * Draws the row's random baseline tags into `drawn`: per category as many as the row added,
   * without replacement, never a seed, ∝ reference occurrences. Returns how many.
   */
  private draw(temperatureIndex: number, row: number): number {
    let family = this.families.get(temperatureIndex);
    if (!family) {
      family = new StreamFamily({
        seed: this.seed,
        stage: Stage.EvaluationBaseline,
        temperatureIndex,
      });
      this.families.set(temperatureIndex, family);
    }
    const stream = family.seek(this.stream, row);
    const { marks } = this;
    const weights = this.reference.tagCounts;
    let n = 0;
    this.taxonomy.ranges.forEach((range, c) => {
      for (let d = 0; d < this.perCategory[c]; d++) {
        let total = 0;
        let left = 0;
        for (let t = range.start; t < range.end; t++) {
          if (marks[t] & (SEED | DRAWN)) continue;
          total += weights[t];
          left++;
        }
        if (left === 0) return;
        let pick = -1;
        if (total > 0) {
          let u = stream.uniform() * total;
          for (let t = range.start; t < range.end; t++) {
            if (marks[t] & (SEED | DRAWN) || weights[t] === 0) continue;
            pick = t; // rounding can leave u ≥ 0 after the last one: it is then the pick
            u -= weights[t];
            if (u < 0) break;
          }
        } else {
          let skip = stream.int(left);
          for (let t = range.start; t < range.end; t++) {
            if (marks[t] & (SEED | DRAWN)) continue;
            if (skip-- === 0) {
              pick = t;
              break;
            }
          }
        }
        marks[pick] |= DRAWN;
        this.drawn[n++] = pick;
      }
    });
    return n;
  }
}
