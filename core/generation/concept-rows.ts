// Rows conditioned on one tag c: x = one-hot c through the encoder, z = μ(x) + T·σ(x)·ε, c
// kept and the rest selected (topk). Two uses share that machinery:
//
// Concept-targeted sets (generation.concepts): positives conditioned on c, and matched
// negatives: latent rows of the same temperature and requested counts whose selection never
// takes c. Row i of concept c runs at temperature index i mod T. Its counts come from stream
// ConceptCounts/c/i (shared by the positive and its negative); the positive's ε from
// Concept/c/2i, the negative's corpus centre and ε from Concept/c/2i+1.
//
// Tag-coverage top-ups (generation.minRowsPerTag): candidate i of tag c, at temperature index
// i mod T, with counts from Coverage/c/2i and ε from Coverage/c/2i+1.
//
// Rows depend only on their own streams, never on batching.
import type { Taxonomy } from '../inputs/index.js';
import { RowStream, Stage, StreamFamily } from '../rng.js';
import type { GenerateRequest } from './batch-kernels.mjs';
import type { VaeRunner } from './generation.js';
import {
  type RowCountSampler,
  type TemperatureMode,
  temperatureSettings,
} from './latent-inputs.js';
import { categoryRanges, TopkRows } from './selection.js';

/** What rows conditioned on a tag need. */
export interface ConditionedRowsParams {
  runner: VaeRunner;
  latentDim: number;
  taxonomy: Taxonomy;
  seed: number;
  temperatures: readonly number[];
  temperatureMode: TemperatureMode;
  /** Per temperature index, the calibrated tag bias (none: the decoder's own probabilities). */
  biases?: readonly (Float32Array | undefined)[];
  counts: RowCountSampler;
  batchSize: number;
}

export interface ConceptRowsParams extends ConditionedRowsParams {
  /** Corpus rows that centre the negatives (none: z ~ N(0, spread²·I)). */
  prior?: readonly Uint16Array[];
  concept: number;
  /** Positives, and as many negatives. */
  rows: number;
}

export interface ConceptRow {
  positive: boolean;
  /** Row index within the concept (a positive and its negative share it). */
  index: number;
  temperatureIndex: number;
  temperature: number;
  /** The concept first for positives, then the selected tags category by category. */
  tags: Uint16Array;
}

/** Tries a negative makes to find a corpus row without the concept (then the empty row centres it). */
const CENTRE_TRIES = 64;

/** Row indices [from, to) grouped by temperature index (i mod T), in batches of `batchSize`. */
function batchesByTemperature(
  from: number,
  to: number,
  temperatures: number,
  batchSize: number,
): { t: number; indices: number[] }[] {
  const out: { t: number; indices: number[] }[] = [];
  for (let t = 0; t < temperatures; t++) {
    const indices: number[] = [];
    const first = from + ((((t - from) % temperatures) + temperatures) % temperatures);
    for (let i = first; i < to; i += temperatures) indices.push(i);
    for (let start = 0; start < indices.length; start += batchSize)
      out.push({ t, indices: indices.slice(start, start + batchSize) });
  }
  return out;
}

export async function generateConceptRows(params: ConceptRowsParams): Promise<ConceptRow[]> {
  const { taxonomy, temperatures, concept, rows } = params;
  const out: ConceptRow[] = [];
  for (const { t, indices } of batchesByTemperature(0, rows, temperatures.length, params.batchSize))
    out.push(...(await conceptBatch(params, t, indices)));
  if (out.length !== 2 * rows)
    throw new Error(`concept ${taxonomy.tags[concept]}: ${out.length} rows`);
  return out.sort((a, b) => a.index - b.index || Number(b.positive) - Number(a.positive));
}

/**
 * Requested counts (n × categories) of rows `indices`, each from its own stream; the tag's
 * category gets at least one tag (the tag itself in a conditioned row).
 */
function conditionedCounts(
  params: ConditionedRowsParams,
  tag: number,
  indices: readonly number[],
  countStream: (i: number) => RowStream,
): Uint8Array {
  const C = params.taxonomy.categories.length;
  const category = params.taxonomy.tagCategory[tag];
  const counts = new Uint8Array(indices.length * C);
  indices.forEach((i, r) => {
    params.counts.sampleRow(countStream(i), counts, r * C);
    counts[r * C + category] = Math.max(1, counts[r * C + category]);
  });
  return counts;
}

/** What every model call of a batch at temperature index t shares. */
function commonRequest(params: ConditionedRowsParams, t: number, n: number) {
  const { decoderTemperature, spread } = temperatureSettings(
    params.temperatureMode,
    params.temperatures[t],
  );
  return {
    n,
    latentDim: params.latentDim,
    inputDim: params.taxonomy.size,
    temperature: new Float32Array(n).fill(decoderTemperature),
    ...(spread !== 1 ? { spread } : {}),
    ...(params.biases?.[t] ? { bias: params.biases[t] } : {}),
  } satisfies Partial<GenerateRequest>;
}

/**
 * Rows conditioned on `tag` at temperature index t: per row r, ε from the stream whose state is
 * states[4r …], `counts` requested (the tag's category includes the tag). Each row's tags: the
 * tag first, then the selected ones category by category.
 */
async function conditionedBatch(
  params: ConditionedRowsParams,
  t: number,
  tag: number,
  counts: Uint8Array,
  states: Int32Array,
): Promise<Uint16Array[]> {
  const C = params.taxonomy.categories.length;
  const n = counts.length / C;
  const requests = counts.slice();
  const category = params.taxonomy.tagCategory[tag];
  for (let r = 0; r < n; r++) requests[r * C + category]--;
  const generated = await params.runner.generate({
    ...commonRequest(params, t, n),
    states,
    seeds: { tags: new Uint16Array(n).fill(tag), counts: new Uint8Array(n).fill(1), S: 1 },
    select: { ranges: categoryRanges(params.taxonomy), requests },
  });
  if (!('tags' in generated)) throw new Error('conditioned rows: unexpected model output');
  const rows: Uint16Array[] = [];
  let at = 0;
  for (let r = 0; r < n; r++) {
    const k = generated.counts[r];
    const tags = new Uint16Array(k + 1);
    tags[0] = tag;
    tags.set(generated.tags.subarray(at, at + k), 1);
    at += k;
    rows.push(tags);
  }
  return rows;
}

async function conceptBatch(
  params: ConceptRowsParams,
  t: number,
  indices: readonly number[],
): Promise<ConceptRow[]> {
  const { taxonomy, seed, concept, prior } = params;
  const n = indices.length;
  const temperature = params.temperatures[t];
  const rowStreams = new StreamFamily({ seed, stage: Stage.Concept, temperatureIndex: concept });
  const countStreams = new StreamFamily({
    seed,
    stage: Stage.ConceptCounts,
    temperatureIndex: concept,
  });
  const stream = new RowStream();
  // The concept's category gets at least one tag: the concept in the positive, another tag in
  // the negative, so both rows have the same counts.
  const counts = conditionedCounts(params, concept, indices, (i) => countStreams.seek(stream, i));
  const positiveStates = new Int32Array(n * 4);
  const negativeStates = new Int32Array(n * 4);
  const slots = prior ? Math.max(1, ...prior.map((p) => p.length)) : 0;
  const centres = new Uint16Array(Math.max(1, n * slots));
  const centreCounts = new Uint8Array(n);
  indices.forEach((i, r) => {
    rowStreams.seek(stream, 2 * i).writeState(positiveStates, r * 4);
    rowStreams.seek(stream, 2 * i + 1);
    if (prior) {
      for (let k = 0; k < CENTRE_TRIES; k++) {
        const tags = prior[stream.int(prior.length)];
        if (!tags.includes(concept)) {
          centres.set(tags, r * slots);
          centreCounts[r] = tags.length;
          break;
        }
      }
    }
    stream.writeState(negativeStates, r * 4); // ε continues the stream after the centre draws
  });
  const positives = await conditionedBatch(params, t, concept, counts, positiveStates);
  const negativeProbs = await params.runner.generate({
    ...commonRequest(params, t, n),
    states: negativeStates,
    seeds: prior ? { tags: centres, counts: centreCounts, S: slots, exclude: false } : undefined,
  });
  if (!('probs' in negativeProbs)) throw new Error('concept rows: unexpected model output');
  // The negative's selection skips the concept as if it were a seed it must not repeat.
  const negative = new TopkRows(taxonomy).select({
    probs: negativeProbs.probs,
    n,
    requests: counts,
    seeds: new Uint16Array(n).fill(concept),
    seedCounts: new Uint8Array(n).fill(1),
    S: 1,
  });

  const rows: ConceptRow[] = [];
  let negativeAt = 0;
  indices.forEach((i, r) => {
    rows.push({ positive: true, index: i, temperatureIndex: t, temperature, tags: positives[r] });
    const m = negative.counts[r];
    rows.push({
      positive: false,
      index: i,
      temperatureIndex: t,
      temperature,
      tags: negative.tags.slice(negativeAt, negativeAt + m),
    });
    negativeAt += m;
  });
  return rows;
}

export interface CoverageRowsParams extends ConditionedRowsParams {
  tag: number;
  /** Candidate indices [from, to) of the tag. */
  from: number;
  to: number;
}

export interface CoverageCandidate {
  /** Candidate index within the tag. */
  index: number;
  temperatureIndex: number;
  temperature: number;
  /** The tag first, then the selected tags category by category. */
  tags: Uint16Array;
}

/** Top-up candidates [from, to) of one tag (see the file comment), in index order. */
export async function generateCoverageRows(
  params: CoverageRowsParams,
): Promise<CoverageCandidate[]> {
  const { seed, tag, temperatures } = params;
  const streams = new StreamFamily({ seed, stage: Stage.Coverage, temperatureIndex: tag });
  const stream = new RowStream();
  const out: CoverageCandidate[] = [];
  const batches = batchesByTemperature(
    params.from,
    params.to,
    temperatures.length,
    params.batchSize,
  );
  for (const { t, indices } of batches) {
    const counts = conditionedCounts(params, tag, indices, (i) => streams.seek(stream, 2 * i));
    const states = new Int32Array(indices.length * 4);
    indices.forEach((i, r) => {
      streams.seek(stream, 2 * i + 1).writeState(states, r * 4);
    });
    const rows = await conditionedBatch(params, t, tag, counts, states);
    indices.forEach((index, r) => {
      out.push({ index, temperatureIndex: t, temperature: temperatures[t], tags: rows[r] });
    });
  }
  return out.sort((a, b) => a.index - b.index);
}
