import { describe, expect, it } from 'vitest';
import { LatentInputs, temperatureSettings } from '../../../core/generation/latent-inputs.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import type { RowStream } from '../../../core/rng.js';

const taxonomy = buildTaxonomy({ tempo: ['slow', 'fast', 'mid'], mood: ['calm', 'dark'] });
const prior = { tags: [Uint16Array.of(0, 3), Uint16Array.of(1), Uint16Array.of(2, 4, 3)] };
const counts = {
  sampleRow(stream: RowStream, out: Uint8Array, offset: number) {
    out[offset] = stream.int(3);
    out[offset + 1] = stream.int(2);
  },
};
const make = (mode: 'spread' | 'decoder', withPrior = true) =>
  new LatentInputs({
    taxonomy,
    latentDim: 4,
    seed: 5,
    temperatureIndex: 2,
    temperature: 1.5,
    temperatureMode: mode,
    prior: withPrior ? prior : undefined,
    bias: Float32Array.of(0.1, 0, 0, -0.2, 0),
  });

/** Row r's inputs as a plain object, from a request of rows first … first + n − 1. */
function row(inputs: LatentInputs, first: number, n: number, r: number) {
  const b = inputs.buffers(n);
  const req = inputs.fill(first, n, b, counts);
  const i = r - first;
  const S = req.seeds?.S ?? 0;
  return {
    state: Array.from(req.states.subarray(i * 4, i * 4 + 4)),
    temperature: req.temperature[i],
    requests: Array.from(b.requests.subarray(i * 2, i * 2 + 2)),
    seeds: req.seeds ? Array.from(req.seeds.tags.subarray(i * S, i * S + req.seeds.counts[i])) : [],
    spread: req.spread,
    exclude: req.seeds?.exclude,
  };
}

describe('temperatureSettings', () => {
  it('puts the temperature on ε under spread, on the decoder otherwise', () => {
    expect(temperatureSettings('spread', 0.5)).toEqual({ decoderTemperature: 1, spread: 0.5 });
    expect(temperatureSettings('decoder', 0.5)).toEqual({ decoderTemperature: 0.5, spread: 1 });
  });
});

describe('LatentInputs', () => {
  it('gives a row the same inputs whatever batch it is in', () => {
    const inputs = make('spread');
    for (const r of [0, 3, 6]) expect(row(inputs, r, 1, r)).toEqual(row(inputs, 0, 8, r));
  });

  it('centres rows on corpus rows drawn from their own streams, never excluded from selection', () => {
    const inputs = make('spread');
    const picked = Array.from({ length: 60 }, (_, r) => row(inputs, 0, 60, r).seeds.join(','));
    expect(new Set(picked)).toEqual(new Set(['0,3', '1', '2,4,3']));
    const first = row(inputs, 0, 1, 0);
    expect(first.exclude).toBe(false);
    expect(first.spread).toBe(1.5);
    expect(first.temperature).toBe(1);
    expect(inputs.slots).toBe(3);
  });

  it('leaves the notebook form alone: decoder temperature, no spread, no seeds without a prior', () => {
    const first = row(make('decoder', false), 0, 1, 0);
    expect(first.temperature).toBe(1.5);
    expect(first.spread).toBeUndefined();
    expect(first.seeds).toEqual([]);
  });
});
