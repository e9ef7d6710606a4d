// A latent row's model inputs: the stream state of its z (or ε), the corpus row whose encoder
// posterior centres it (latent prior `corpus`), its requested counts and its temperature.
import type { Taxonomy } from '../inputs/index.js';
import { RowStream, Stage, StreamFamily } from '../rng.js';
import type { GenerateRequest } from './batch-kernels.mjs';

/** What a temperature does: scales z's spread (decoder at 1), or divides the decoder's logits. */
export type TemperatureMode = 'spread' | 'decoder';

/** Corpus rows whose encoder posteriors centre latent rows: z = μ(x) + T·σ(x)·ε. */
export interface LatentPrior {
  /** Per corpus row its tag ids (any order). */
  tags: readonly Uint16Array[];
}

/** Draws one row of requested tag counts (one per category) from a stream. */
export interface RowCountSampler {
  sampleRow(stream: RowStream, out: Uint8Array, offset: number): void;
}

/** The decoder temperature and ε's scale of a row at temperature T. */
export function temperatureSettings(mode: TemperatureMode, temperature: number) {
  return mode === 'spread'
    ? { decoderTemperature: 1, spread: temperature }
    : { decoderTemperature: temperature, spread: 1 };
}

/** Buffers for one batch of latent inputs. */
export interface LatentBuffers {
  states: Int32Array;
  temperature: Float32Array;
  requests: Uint8Array;
  seeds: Uint16Array;
  seedCounts: Uint8Array;
}

/** Fills latent rows' inputs from their streams: Latent/t/r (z), LatentPrior/t/r, LatentCounts/t/r. */
export class LatentInputs {
  /** Seed slots per row: the most tags a corpus row has (0 without a prior). */
  readonly slots: number;
  private readonly zStreams: StreamFamily;
  private readonly priorStreams: StreamFamily;
  readonly countStreams: StreamFamily;
  private readonly stream = new RowStream();
  private readonly decoderTemperature: number;
  private readonly spread: number;

  constructor(
    private readonly params: {
      taxonomy: Taxonomy;
      latentDim: number;
      seed: number;
      temperatureIndex: number;
      temperature: number;
      temperatureMode: TemperatureMode;
      prior?: LatentPrior;
      bias?: Float32Array;
    },
  ) {
    const { seed, temperatureIndex } = params;
    this.zStreams = new StreamFamily({ seed, stage: Stage.Latent, temperatureIndex });
    this.priorStreams = new StreamFamily({ seed, stage: Stage.LatentPrior, temperatureIndex });
    this.countStreams = new StreamFamily({ seed, stage: Stage.LatentCounts, temperatureIndex });
    this.slots = params.prior ? Math.max(1, ...params.prior.tags.map((t) => t.length)) : 0;
    const settings = temperatureSettings(params.temperatureMode, params.temperature);
    this.decoderTemperature = settings.decoderTemperature;
    this.spread = settings.spread;
  }

  buffers(rows: number): LatentBuffers {
    const C = this.params.taxonomy.categories.length;
    return {
      states: new Int32Array(rows * 4),
      temperature: new Float32Array(rows),
      requests: new Uint8Array(rows * C),
      seeds: new Uint16Array(Math.max(1, rows * this.slots)),
      seedCounts: new Uint8Array(rows),
    };
  }

  /** Rows first … first + n − 1 as a generate request (without `select`); counts too, if given. */
  fill(first: number, n: number, b: LatentBuffers, counts?: RowCountSampler): GenerateRequest {
    const { taxonomy, latentDim, prior, bias } = this.params;
    const C = taxonomy.categories.length;
    const S = this.slots;
    const stream = this.stream;
    for (let i = 0; i < n; i++) {
      const row = first + i;
      this.zStreams.seek(stream, row).writeState(b.states, i * 4);
      if (counts) counts.sampleRow(this.countStreams.seek(stream, row), b.requests, i * C);
      b.temperature[i] = this.decoderTemperature;
      if (prior) {
        const tags = prior.tags[this.priorStreams.seek(stream, row).int(prior.tags.length)];
        b.seeds.set(tags, i * S);
        b.seedCounts[i] = tags.length;
      }
    }
    return {
      n,
      latentDim,
      inputDim: taxonomy.size,
      temperature: b.temperature.subarray(0, n),
      states: b.states.subarray(0, n * 4),
      seeds: prior
        ? {
            tags: b.seeds.subarray(0, n * S),
            counts: b.seedCounts.subarray(0, n),
            S,
            exclude: false,
          }
        : undefined,
      ...(this.spread !== 1 ? { spread: this.spread } : {}),
      ...(bias ? { bias } : {}),
    };
  }
}
