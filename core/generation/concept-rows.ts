// Concept-targeted rows (generation.concepts): for a tag c, positives conditioned on c through
// the encoder (x = one-hot c, c kept, the rest selected), and matched negatives: latent rows of
// the same temperature and requested counts whose selection never takes c.
//
// Row i of concept c runs at temperature index i mod T. Its counts come from stream
// ConceptCounts/c/i (shared by the positive and its negative); the positive's ε from
// Concept/c/2i, the negative's corpus centre and ε from Concept/c/2i+1. Rows depend only on
// their own streams, never on batching.
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

export interface ConceptRowsParams {
  runner: VaeRunner;
  latentDim: number;
  taxonomy: Taxonomy;
  seed: number;
  temperatures: readonly number[];
  temperatureMode: TemperatureMode;
  /** Per temperature index, the calibrated tag bias (none: the decoder's own probabilities). */
  biases?: readonly (Float32Array | undefined)[];
  /** Corpus rows that centre the negatives (none: z ~ N(0, spread²·I)). */
  prior?: readonly Uint16Array[];
  counts: RowCountSampler;
  concept: number;
  /** Positives, and as many negatives. */
  rows: number;
  batchSize: number;
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

export async function generateConceptRows(params: ConceptRowsParams): Promise<ConceptRow[]> {
  const { taxonomy, temperatures, concept, rows } = params;
  const T = temperatures.length;
  const out: ConceptRow[] = [];
  for (let t = 0; t < T; t++) {
    const indices: number[] = [];
    for (let i = t; i < rows; i += T) indices.push(i);
    for (let start = 0; start < indices.length; start += params.batchSize) {
      const batch = indices.slice(start, start + params.batchSize);
      out.push(...(await conceptBatch(params, t, batch)));
    }
  }
  if (out.length !== 2 * rows)
    throw new Error(`concept ${taxonomy.tags[concept]}: ${out.length} rows`);
  return out.sort((a, b) => a.index - b.index || Number(b.positive) - Number(a.positive));
}

async function conceptBatch(
  params: ConceptRowsParams,
  t: number,
  indices: readonly number[],
): Promise<ConceptRow[]> {
  const { runner, latentDim, taxonomy, seed, concept, prior } = params;
  const n = indices.length;
  const C = taxonomy.categories.length;
  const D = taxonomy.size;
  const temperature = params.temperatures[t];
  const { decoderTemperature, spread } = temperatureSettings(params.temperatureMode, temperature);
  const rowStreams = new StreamFamily({ seed, stage: Stage.Concept, temperatureIndex: concept });
  const countStreams = new StreamFamily({
    seed,
    stage: Stage.ConceptCounts,
    temperatureIndex: concept,
  });
  const stream = new RowStream();
  const conceptCategory = taxonomy.tagCategory[concept];

  const counts = new Uint8Array(n * C);
  const positiveRequests = new Uint8Array(n * C);
  const positiveStates = new Int32Array(n * 4);
  const negativeStates = new Int32Array(n * 4);
  const slots = prior ? Math.max(1, ...prior.map((p) => p.length)) : 0;
  const centres = new Uint16Array(Math.max(1, n * slots));
  const centreCounts = new Uint8Array(n);
  indices.forEach((i, r) => {
    params.counts.sampleRow(countStreams.seek(stream, i), counts, r * C);
    // The concept's category gets at least one tag: the concept in the positive, another tag in
    // the negative, so both rows have the same counts.
    const at = r * C + conceptCategory;
    counts[at] = Math.max(1, counts[at]);
    positiveRequests.set(counts.subarray(r * C, (r + 1) * C), r * C);
    positiveRequests[at]--;
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
  const common = {
    n,
    latentDim,
    inputDim: D,
    temperature: new Float32Array(n).fill(decoderTemperature),
    ...(spread !== 1 ? { spread } : {}),
    ...(params.biases?.[t] ? { bias: params.biases[t] } : {}),
  } satisfies Partial<GenerateRequest>;
  const conceptSeeds = new Uint16Array(n).fill(concept);
  const one = new Uint8Array(n).fill(1);
  const ranges = categoryRanges(taxonomy);

  const positive = await runner.generate({
    ...common,
    states: positiveStates,
    seeds: { tags: conceptSeeds, counts: one, S: 1 },
    select: { ranges, requests: positiveRequests },
  });
  const negativeProbs = await runner.generate({
    ...common,
    states: negativeStates,
    seeds: prior ? { tags: centres, counts: centreCounts, S: slots, exclude: false } : undefined,
  });
  if (!('tags' in positive) || !('probs' in negativeProbs))
    throw new Error('concept rows: unexpected model output');
  // The negative's selection skips the concept as if it were a seed it must not repeat.
  const negative = new TopkRows(taxonomy).select({
    probs: negativeProbs.probs,
    n,
    requests: counts,
    seeds: conceptSeeds,
    seedCounts: one,
    S: 1,
  });

  const rows: ConceptRow[] = [];
  let at = 0;
  let negativeAt = 0;
  indices.forEach((i, r) => {
    const k = positive.counts[r];
    const tags = new Uint16Array(k + 1);
    tags[0] = concept;
    tags.set(positive.tags.subarray(at, at + k), 1);
    at += k;
    rows.push({ positive: true, index: i, temperatureIndex: t, temperature, tags });
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
