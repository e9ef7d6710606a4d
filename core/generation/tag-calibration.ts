// Tag-frequency calibration: a per-tag bias on the decoder's logits, fitted by fixed-point steps
// so that the tags a selection policy picks occur in the corpus's proportions.
//
// Why: the decoder over-produces some tags and under-produces others at every temperature
// (slow tempo 12 % of corpus rows → 21 % of generated ones); top-k then amplifies the drift.
// A bias b_j moves tag j's logit, p' = σ(logit(p) + b_j), which top-k and sampling both honour.
import { categoryShares, jensenShannonDistance } from '../evaluation/index.js';
import type { Taxonomy } from '../inputs/index.js';
import { applyTagBias } from './batch-kernels.mjs';

/** The fitted bias of one temperature and how far it moved the tag frequencies. */
export interface TagCalibration {
  temperatureIndex: number;
  temperature: number;
  /** Per tag (taxonomy order): the logit bias. */
  bias: number[];
  /** Mean over categories of the JS distance to the corpus's tag shares, per step (0: no bias). */
  meanJs: number[];
  rows: number;
}

/** Bias bounds: a tag absent from the corpus is pushed down hard, but never to −∞. */
const MAX_BIAS = 12;
/** Added to both shares in the update, so a tag the policy never picks moves by a bounded step. */
const SHARE_FLOOR = 1e-4;
/** The most one step moves a bias: larger jumps flip whole categories back and forth. */
const MAX_STEP = 2;

/** Mean over categories of the base-2 JS distance between two share vectors. */
export function meanShareJs(taxonomy: Taxonomy, p: Float64Array, q: Float64Array): number {
  let sum = 0;
  for (const { start, end } of taxonomy.ranges)
    sum += jensenShannonDistance(p.subarray(start, end), q.subarray(start, end));
  return sum / taxonomy.ranges.length;
}

/**
 * Fits the bias: each step selects tags from the biased probabilities (`select` returns how
 * often each tag was picked) and moves b_j by log(target_j / picked_j) in share terms.
 * `probs` (n×D) is not modified.
 */
export function fitTagBias(params: {
  taxonomy: Taxonomy;
  probs: Float32Array;
  n: number;
  /** The corpus's tag shares (categoryShares of its tag counts). */
  target: Float64Array;
  steps: number;
  select: (probs: Float32Array, n: number) => ArrayLike<number>;
}): { bias: Float32Array; meanJs: number[] } {
  const { taxonomy, probs, n, target, steps, select } = params;
  const D = taxonomy.size;
  const bias = new Float32Array(D);
  const biased = new Float32Array(n * D);
  const best = new Float32Array(D);
  const meanJs: number[] = [];
  for (let step = 0; ; step++) {
    biased.set(probs.subarray(0, n * D));
    applyTagBias(biased, n, bias);
    const shares = categoryShares(taxonomy, select(biased, n));
    const js = meanShareJs(taxonomy, target, shares);
    // Fixed-point steps can overshoot: the bias kept is the best step's.
    if (js < Math.min(...meanJs)) best.set(bias);
    meanJs.push(js);
    if (step === steps) break;
    for (let j = 0; j < D; j++) {
      const ratio = Math.log((target[j] + SHARE_FLOOR) / (shares[j] + SHARE_FLOOR));
      const move = Math.max(-MAX_STEP, Math.min(MAX_STEP, ratio));
      bias[j] = Math.max(-MAX_BIAS, Math.min(MAX_BIAS, bias[j] + move));
    }
  }
  return { bias: best, meanJs };
}
