// The evaluate stage's pure part: how real do generated tag sets look next to a reference
// corpus? One streaming pass over the generated rows feeds one accumulator for everything, one
// per mode and one per (mode, temperature index); each is then compared with the reference.
//
// Metrics of a set of rows against the reference (definitions in core/evaluation/metrics.ts and the
// README's "Evaluation" section):
// - per category: Jensen–Shannon distance (√ of the base-2 divergence) between the tag
//   frequency distributions, and Wasserstein-1 distance between the tag-count histograms;
// - Pearson correlation between the co-occurrence rates of all D·(D−1)/2 tag pairs;
// - unique ratio (distinct tag sets / rows), tag coverage (tags seen at least once / D),
//   novelty (share of the distinct tag sets that never occur in the reference), copied rows
//   (share of rows whose set is a reference row's), mean tags
//   per row.
// Seeded rows that come with their seeds and source track are also measured against those
// tracks (seeded-yardstick.ts), in the report's `seeded` section.
//
// Groups are keyed by temperature *index*: a temperature list may repeat a value (the
// notebook's has 1.0 twice), and each position is its own run.
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
import { normalizeTagSet, tagSetKey } from './distinct-sets.js';
import {
  categoryShares,
  jensenShannonDistance,
  pearson,
  TagSetStats,
  wasserstein1Discrete,
} from './metrics.js';
import {
  type SeededSource,
  SeededYardstick,
  type SeededYardstickReport,
} from './seeded-yardstick.js';

export interface MetricSet {
  rows: number;
  /** Jensen–Shannon distance (base 2, in [0, 1]) of the tag frequencies, per category. */
  jsByCategory: Record<string, number>;
  /** Mean of `jsByCategory` over the categories. */
  meanJs: number;
  /** Wasserstein-1 distance (in tags) of the tag-count histograms, per category. */
  w1ByCategory: Record<string, number>;
  maxW1: number;
  /**
   * Pearson r of pair co-occurrence rates against the reference's; null when undefined (no
   * pair ever co-occurs on one side, or the taxonomy is too large to keep pairs).
   */
  cooccurrenceR: number | null;
  /** Distinct tag sets / rows. */
  uniqueRatio: number;
  /** Tags that occur at least once / taxonomy size. */
  tagCoverage: number;
  /** Share of the distinct tag sets that do not occur in the reference. */
  novelty: number;
  /** Share of rows whose tag set is exactly a reference row's: copying is not fidelity. */
  copiedRows: number;
  meanTagsPerRow: number;
  distinctSets: number;
  /** False when the distinct counts are HyperLogLog estimates (very many distinct sets). */
  distinctExact: boolean;
}

export interface GroupMetrics {
  mode: string;
  temperatureIndex: number;
  temperature: number;
  metrics: MetricSet;
}

/** One tag's share of its category's occurrences, in the reference and in generated rows. */
export interface TagFrequency {
  tag: string;
  category: string;
  reference: number;
  generated: number;
  byMode: Record<string, number>;
}

/** Share of rows with k tags of a category, index = k. */
export interface CountHistogram {
  category: string;
  reference: number[];
  generated: number[];
  byMode: Record<string, number[]>;
}

export interface EvaluationReport {
  formatVersion: 1;
  taxonomyHash: string;
  reference: { source: string; rows: number; distinctSets: number; meanTagsPerRow: number };
  overall: MetricSet;
  /** Modes in generation order (seeded, latent, coverage, then any other alphabetically). */
  byMode: Record<string, MetricSet>;
  /** Sorted by mode (as `byMode`), then temperature index. */
  byGroup: GroupMetrics[];
  /** Chart data: every tag in taxonomy order. */
  tagFrequencies: TagFrequency[];
  /** Chart data: one histogram per category, up to the largest count seen on any side. */
  countHistograms: CountHistogram[];
  /**
   * Seeded rows against their own source tracks (core/evaluation/seeded-yardstick.ts); absent
   * when no row came with its source (and in reports written before it existed).
   */
  seeded?: SeededYardstickReport;
}

export interface EvaluationRow {
  mode: string;
  temperatureIndex: number;
  temperature: number;
  tags: ArrayLike<number>;
  /** A seeded row's seed tags and source track: the row then also feeds the seeded yardstick. */
  source?: SeededSource;
}

export interface TagSetEvaluatorParams {
  taxonomy: Taxonomy;
  reference: { source: string; tags: Iterable<ArrayLike<number>> };
  /** Distinct sets tracked exactly per accumulator before HyperLogLog takes over. */
  exactDistinctLimit?: number;
  /** The run seed: keys the seeded yardstick's random baseline tags (default 0). */
  seed?: number;
}

const MODE_ORDER = ['seeded', 'latent', 'coverage'];

function compareModes(a: string, b: string): number {
  const ia = MODE_ORDER.indexOf(a);
  const ib = MODE_ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares accumulated generated rows with the reference's accumulator. */
export function compareTagSetStats(generated: TagSetStats, reference: TagSetStats): MetricSet {
  const taxonomy = generated.taxonomy;
  if (generated.rows === 0) throw new ValidationError('no generated rows to evaluate');
  if (reference.rows === 0) throw new ValidationError('the reference corpus has no rows');
  const jsByCategory: Record<string, number> = {};
  const w1ByCategory: Record<string, number> = {};
  let jsSum = 0;
  let maxW1 = 0;
  taxonomy.ranges.forEach((range, c) => {
    const js = jensenShannonDistance(
      generated.tagCounts.subarray(range.start, range.end),
      reference.tagCounts.subarray(range.start, range.end),
    );
    const w1 = wasserstein1Discrete(generated.countHistograms[c], reference.countHistograms[c]);
    jsByCategory[range.category] = js;
    w1ByCategory[range.category] = w1;
    jsSum += js;
    maxW1 = Math.max(maxW1, w1);
  });

  let cooccurrenceR: number | null = null;
  if (generated.pairCounts && reference.pairCounts) {
    const rates = (counts: Float64Array, rows: number) => counts.map((n) => n / rows);
    const r = pearson(
      rates(generated.pairCounts, generated.rows),
      rates(reference.pairCounts, reference.rows),
    );
    cooccurrenceR = Number.isNaN(r) ? null : r;
  }

  let covered = 0;
  let occurrences = 0;
  for (const n of generated.tagCounts) {
    if (n > 0) covered++;
    occurrences += n;
  }
  const distinct = generated.distinct.count;
  return {
    rows: generated.rows,
    jsByCategory,
    meanJs: jsSum / taxonomy.ranges.length,
    w1ByCategory,
    maxW1,
    cooccurrenceR,
    // Estimates (HyperLogLog) can overshoot by a hair; shares stay shares.
    uniqueRatio: Math.min(1, distinct / generated.rows),
    tagCoverage: covered / taxonomy.size,
    novelty: distinct === 0 ? 0 : Math.min(1, generated.distinct.novelCount / distinct),
    copiedRows: generated.rows === 0 ? 0 : generated.distinct.copies / generated.rows,
    meanTagsPerRow: occurrences / generated.rows,
    distinctSets: distinct,
    distinctExact: generated.distinct.exact,
  };
}

/** Builds the reference accumulator (exact distinct tracking: novelty needs membership). */
export function referenceTagSetStats(
  taxonomy: Taxonomy,
  reference: { source: string; tags: Iterable<ArrayLike<number>> },
): TagSetStats {
  const stats = new TagSetStats(taxonomy, { exactDistinctLimit: Number.POSITIVE_INFINITY });
  for (const tags of reference.tags) stats.add(tags, `${reference.source}: row ${stats.rows + 1}`);
  if (stats.rows === 0) throw new ValidationError(`${reference.source}: the reference has no rows`);
  return stats;
}

/**
 * Streaming evaluator: `add` each generated row (any order), then `report()`. Memory does not
 * grow with the number of rows.
 */
export class TagSetEvaluator {
  private readonly taxonomy: Taxonomy;
  private readonly source: string;
  private readonly reference: TagSetStats;
  private readonly overall: TagSetStats;
  private readonly modes = new Map<string, TagSetStats>();
  private readonly groups = new Map<string, { mode: string; index: number; stats: TagSetStats }>();
  private readonly temperatures = new Map<number, number>();
  private readonly scratch: Int32Array;
  private readonly exactDistinctLimit: number | undefined;
  private readonly seeded: SeededYardstick;
  private rows = 0;

  constructor(params: TagSetEvaluatorParams) {
    this.taxonomy = params.taxonomy;
    this.source = params.reference.source;
    this.exactDistinctLimit = params.exactDistinctLimit;
    this.reference = referenceTagSetStats(params.taxonomy, params.reference);
    this.seeded = new SeededYardstick({
      taxonomy: params.taxonomy,
      reference: this.reference,
      seed: params.seed,
    });
    this.overall = this.newStats();
    this.scratch = new Int32Array(params.taxonomy.size);
  }

  private newStats(): TagSetStats {
    return new TagSetStats(this.taxonomy, {
      reference: this.reference.distinct.keys,
      exactDistinctLimit: this.exactDistinctLimit,
    });
  }

  add(row: EvaluationRow): void {
    const where = `generated row ${this.rows}`;
    const { mode, temperatureIndex, temperature } = row;
    if (typeof mode !== 'string' || mode === '') {
      throw new ValidationError(`${where}: mode must be a non-empty string, got ${String(mode)}`);
    }
    if (!Number.isSafeInteger(temperatureIndex) || temperatureIndex < 0) {
      throw new ValidationError(
        `${where}: temperature index must be a non-negative integer, got ${temperatureIndex}`,
      );
    }
    if (!Number.isFinite(temperature)) {
      throw new ValidationError(
        `${where}: temperature must be a finite number, got ${temperature}`,
      );
    }
    const known = this.temperatures.get(temperatureIndex);
    if (known === undefined) this.temperatures.set(temperatureIndex, temperature);
    else if (known !== temperature) {
      throw new ValidationError(
        `${where}: temperature index ${temperatureIndex} has temperature ${temperature}, but earlier rows gave ${known}`,
      );
    }

    const sorted = normalizeTagSet(row.tags, this.taxonomy.size, this.scratch, where);
    // First, so that a row it refuses is counted nowhere.
    if (row.source) {
      this.seeded.add({ temperatureIndex, temperature, tags: sorted, source: row.source }, where);
    }
    const [hi, lo] = tagSetKey(sorted);
    this.overall.addNormalized(sorted, hi, lo);
    let modeStats = this.modes.get(mode);
    if (!modeStats) {
      modeStats = this.newStats();
      this.modes.set(mode, modeStats);
    }
    modeStats.addNormalized(sorted, hi, lo);
    const key = `${temperatureIndex}\u0000${mode}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { mode, index: temperatureIndex, stats: this.newStats() };
      this.groups.set(key, group);
    }
    group.stats.addNormalized(sorted, hi, lo);
    this.rows++;
  }

  report(): EvaluationReport {
    if (this.rows === 0) throw new ValidationError('no generated rows to evaluate');
    const modes = [...this.modes.keys()].sort(compareModes);
    const byMode: Record<string, MetricSet> = {};
    for (const mode of modes)
      byMode[mode] = compareTagSetStats(this.modes.get(mode)!, this.reference);
    const byGroup = [...this.groups.values()]
      .sort((a, b) => compareModes(a.mode, b.mode) || a.index - b.index)
      .map((g) => ({
        mode: g.mode,
        temperatureIndex: g.index,
        temperature: this.temperatures.get(g.index)!,
        metrics: compareTagSetStats(g.stats, this.reference),
      }));

    const referenceShares = categoryShares(this.reference.taxonomy, this.reference.tagCounts);
    const generatedShares = categoryShares(this.overall.taxonomy, this.overall.tagCounts);
    const modeShares = modes.map((m) => {
      const stats = this.modes.get(m)!;
      return categoryShares(stats.taxonomy, stats.tagCounts);
    });
    const tagFrequencies = this.taxonomy.tags.map((tag, i) => ({
      tag,
      category: this.taxonomy.categories[this.taxonomy.tagCategory[i]],
      reference: referenceShares[i],
      generated: generatedShares[i],
      byMode: Object.fromEntries(modes.map((m, j) => [m, modeShares[j][i]])),
    }));

    const countHistograms = this.taxonomy.ranges.map((range, c) => {
      const series = [this.reference, this.overall, ...modes.map((m) => this.modes.get(m)!)];
      let top = 1;
      for (const s of series) {
        const h = s.countHistograms[c];
        for (let k = h.length - 1; k > top; k--) {
          if (h[k] > 0) {
            top = k;
            break;
          }
        }
      }
      const shares = (s: TagSetStats) =>
        Array.from(s.countHistograms[c].subarray(0, top + 1), (n) => n / s.rows);
      return {
        category: range.category,
        reference: shares(this.reference),
        generated: shares(this.overall),
        byMode: Object.fromEntries(modes.map((m) => [m, shares(this.modes.get(m)!)])),
      };
    });

    let referenceTags = 0;
    for (const n of this.reference.tagCounts) referenceTags += n;
    const seeded = this.seeded.report();
    return {
      formatVersion: 1,
      taxonomyHash: this.taxonomy.hash,
      reference: {
        source: this.source,
        rows: this.reference.rows,
        distinctSets: this.reference.distinct.count,
        meanTagsPerRow: referenceTags / this.reference.rows,
      },
      overall: compareTagSetStats(this.overall, this.reference),
      byMode,
      byGroup,
      tagFrequencies,
      countHistograms,
      ...(seeded ? { seeded } : {}),
    };
  }
}

function formatTemperature(t: number): string {
  return Number.isInteger(t) ? t.toFixed(1) : String(t);
}

/**
 * Display labels of the report's temperature runs, by temperature index: the temperature
 * ("1.0"), with its 1-based position in the list added when the value repeats ("1.0 (#3)").
 */
export function temperatureLabels(report: EvaluationReport): Map<number, string> {
  const byIndex = new Map<number, number>();
  for (const g of report.byGroup) byIndex.set(g.temperatureIndex, g.temperature);
  const uses = new Map<number, number>();
  for (const t of byIndex.values()) uses.set(t, (uses.get(t) ?? 0) + 1);
  const labels = new Map<number, string>();
  for (const [index, t] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    const label = formatTemperature(t);
    labels.set(index, (uses.get(t) ?? 0) > 1 ? `${label} (#${index + 1})` : label);
  }
  return labels;
}

/** Evaluates generated rows against a reference corpus in one streaming pass. */
export function evaluateTagSets(
  params: TagSetEvaluatorParams & { rows: Iterable<EvaluationRow> },
): EvaluationReport {
  const evaluator = new TagSetEvaluator(params);
  for (const row of params.rows) evaluator.add(row);
  return evaluator.report();
}
