import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import {
  RowStream,
  rowStream,
  Stage,
  StreamFamily,
  type StreamKey,
  streamState,
} from '../../core/rng.js';

const key: StreamKey = { seed: 42, stage: Stage.Seeded, temperatureIndex: 3, row: 17 };

function draws(k: StreamKey, n = 16): number[] {
  const stream = rowStream(k);
  return Array.from({ length: n }, () => stream.uniform());
}

function meanAndVariance(values: Float64Array) {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, variance: squares / (values.length - 1) };
}

describe('rowStream', () => {
  it('gives the same draws for the same key, whatever was created in between', () => {
    const a = rowStream(key);
    const first = [a.uniform(), a.normal(), a.normal(), a.normal(), a.int(1000), a.uniform()];
    for (let row = 0; row < 100; row++) rowStream({ ...key, row }).normal();
    const b = new RowStream({ ...key });
    const second = [b.uniform(), b.normal(), b.normal(), b.normal(), b.int(1000), b.uniform()];
    expect(second).toEqual(first);
    expect(streamState(key)).toEqual(streamState({ ...key }));
  });

  it('gives different draws when any part of the key differs', () => {
    const base = draws(key);
    const variants: StreamKey[] = [
      { ...key, seed: 43 },
      { ...key, stage: Stage.Latent },
      { ...key, temperatureIndex: 4 },
      { ...key, row: 18 },
      { ...key, row: 16 },
    ];
    const all = [base, ...variants.map((k) => draws(k))];
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) expect(all[i]).not.toEqual(all[j]);
    }
    // No two different keys should even share a first draw.
    expect(new Set(all.map((d) => d[0])).size).toBe(all.length);
  });

  it('separates every stage for the same seed, temperature and row', () => {
    const firsts = Object.values(Stage).map((stage) => draws({ ...key, stage }, 1)[0]);
    expect(new Set(firsts).size).toBe(Object.values(Stage).length);
  });

  it('uses the high 32 bits of large safe-integer seeds and rows', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const streams = [
      draws({ ...key, seed: 0 }),
      draws({ ...key, seed: 2 ** 32 }),
      draws({ ...key, seed: big }),
      draws({ ...key, seed: big - 2 ** 32 }),
      draws({ ...key, row: 5 }),
      draws({ ...key, row: 5 + 2 ** 32 }),
      draws({ ...key, row: big }),
      draws({ ...key, temperatureIndex: 2 ** 32 - 1 }),
    ];
    expect(new Set(streams.map((d) => d.join(','))).size).toBe(streams.length);
    expect(draws({ ...key, seed: big, row: big })).toEqual(draws({ ...key, seed: big, row: big }));
  });

  it('refuses keys it cannot represent without aliasing', () => {
    expect(() => rowStream({ ...key, seed: -1 })).toThrow(
      'stream key seed must be a non-negative safe integer, got -1',
    );
    expect(() => rowStream({ ...key, row: 1.5 })).toThrow('stream key row must be');
    expect(() => rowStream({ ...key, seed: 2 ** 53 })).toThrow('stream key seed must be');
    expect(() => rowStream({ ...key, row: Number.NaN })).toThrow('stream key row must be');
    // 2^32 would share a stream with 0 (one 32-bit word of the state).
    expect(() => rowStream({ ...key, temperatureIndex: 2 ** 32 })).toThrow(
      'stream key temperatureIndex must be an integer in 0..4294967295, got 4294967296',
    );
    expect(() => rowStream({ ...key, stage: -1 as never })).toThrow('stream key stage must be');
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const stream = rowStream(key);
    const values = new Float64Array(200_000);
    for (let i = 0; i < values.length; i++) values[i] = stream.uniform();
    expect(Math.min(...values.subarray(0, 100_000))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values.subarray(0, 100_000))).toBeLessThan(1);
    const { mean, variance } = meanAndVariance(values);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.004);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws standard normals within one stream: mean 0, variance 1, symmetric tails', () => {
    const stream = rowStream(key);
    const values = new Float64Array(200_000);
    for (let i = 0; i < values.length; i++) values[i] = stream.normal();
    const { mean, variance } = meanAndVariance(values);
    // Standard errors: 0.0022 for the mean, 0.0032 for the variance; bounds are ~5 of them.
    expect(Math.abs(mean)).toBeLessThan(0.011);
    expect(Math.abs(variance - 1)).toBeLessThan(0.016);
    const beyond = values.filter((v) => Math.abs(v) > 1.959964).length / values.length;
    expect(Math.abs(beyond - 0.05)).toBeLessThan(0.003);
  });

  it('draws standard normals whose distribution is N(0, 1): Kolmogorov–Smirnov and the far tails', () => {
    // 10^6 draws over many rows, so rectangles, wedges and the tail beyond R = 3.4426 (the
    // ziggurat's three paths) all show up in the empirical CDF.
    const values = new Float64Array(1_000_000);
    for (let row = 0; row < 10_000; row++)
      rowStream({ ...key, row }).fillNormal(values, row * 100, 100);
    values.sort();
    let d = 0;
    for (let i = 0; i < values.length; i++) {
      const cdf = normalCdf(values[i], 0, 1);
      d = Math.max(d, Math.abs((i + 1) / values.length - cdf), Math.abs(i / values.length - cdf));
    }
    // The 1 % critical value of D for n = 10^6 is 1.63 / √n = 0.00163.
    expect(d).toBeLessThan(0.00163);
    // Mass beyond ±R is 2·(1 − Φ(R)) = 5.76e-4 (576 ± 24 expected draws); beyond ±4.5, 6.8e-6.
    const beyondR = values.filter((v) => Math.abs(v) > 3.442619855899).length;
    expect(Math.abs(beyondR - 576)).toBeLessThan(5 * 24);
    const beyond45 = values.filter((v) => Math.abs(v) > 4.5).length;
    expect(beyond45).toBeGreaterThan(0);
    expect(beyond45).toBeLessThan(20);
  });

  it('draws independent standard normals across rows (one draw per row stream)', () => {
    const firsts = new Float64Array(200_000);
    const seconds = new Float64Array(200_000);
    for (let row = 0; row < firsts.length; row++) {
      const stream = rowStream({ ...key, row });
      firsts[row] = stream.normal();
      seconds[row] = stream.normal();
    }
    const { mean, variance } = meanAndVariance(firsts);
    expect(Math.abs(mean)).toBeLessThan(0.011);
    expect(Math.abs(variance - 1)).toBeLessThan(0.016);
    // Neighbouring rows and successive draws of one row are uncorrelated.
    let neighbours = 0;
    let pair = 0;
    for (let i = 0; i < firsts.length - 1; i++) {
      neighbours += firsts[i] * firsts[i + 1];
      pair += firsts[i] * seconds[i];
    }
    expect(Math.abs(neighbours / firsts.length)).toBeLessThan(0.011);
    expect(Math.abs(pair / firsts.length)).toBeLessThan(0.011);
  });

  it('fillNormal writes the same values as successive normal() calls', () => {
    const a = rowStream(key);
    const expected = Array.from({ length: 7 }, () => a.normal());
    const out = new Float64Array(9);
    rowStream(key).fillNormal(out, 2, 7);
    expect(Array.from(out.subarray(2))).toEqual(expected);
    expect(out[0]).toBe(0);
    const out32 = new Float32Array(7);
    rowStream(key).fillNormal(out32, 0, 7);
    expect(Array.from(out32)).toEqual(expected.map(Math.fround));
  });

  it('fillNormal continues the stream exactly as normal() does, whatever the pairing', () => {
    // Mixed call sequences: a pending spare before the fill, odd and even counts, zero counts,
    // and draws of other kinds after it.
    const sequences = [[3], [1, 4], [1, 0, 5, 2], [2, 3, 3], [1, 1, 1]];
    for (const counts of sequences) {
      const byCalls = rowStream(key);
      const byFill = rowStream(key);
      const expected: number[] = [];
      const got: number[] = [];
      for (const count of counts) {
        for (let i = 0; i < count; i++) expected.push(byCalls.normal());
        const out = new Float64Array(count);
        byFill.fillNormal(out, 0, count);
        got.push(...out);
      }
      expected.push(byCalls.normal(), byCalls.uniform());
      got.push(byFill.normal(), byFill.uniform());
      expect(got).toEqual(expected);
    }
  });

  it("steps exactly as pure-rand's xoroshiro128+ from the same state", () => {
    for (let row = 0; row < 50; row++) {
      const k = { ...key, row };
      const ours = rowStream(k);
      const theirs = xoroshiro128plusFromState(streamState(k));
      const expected = Array.from({ length: 40 }, () => theirs.next());
      // uniform() takes two steps and keeps 26 + 27 of their bits.
      const got: number[] = [];
      for (let i = 0; i < 20; i++) {
        const u = ours.uniform() * 2 ** 53;
        got.push(Math.floor(u / 2 ** 27), u % 2 ** 27);
      }
      expect(got).toEqual(
        expected.map((bits, i) => (i % 2 === 0 ? bits & 0x3ffffff : bits & 0x7ffffff)),
      );
    }
  });

  it('StreamFamily streams are the keyed streams, re-pointed without allocating', () => {
    const family = new StreamFamily({
      seed: 2 ** 40 + 3,
      stage: Stage.Latent,
      temperatureIndex: 5,
    });
    const stream = new RowStream();
    for (const row of [0, 1, 77, 2 ** 33 + 9]) {
      const k = { seed: 2 ** 40 + 3, stage: Stage.Latent, temperatureIndex: 5, row };
      expect(family.seek(stream, row)).toBe(stream);
      const expected = rowStream(k);
      expect([stream.uniform(), stream.normal(), stream.int(1000)]).toEqual([
        expected.uniform(),
        expected.normal(),
        expected.int(1000),
      ]);
      expect(family.stream(row).uniform()).toBe(rowStream(k).uniform());
    }
    expect(() => family.seek(stream, -1)).toThrow(RangeError);
  });

  it('draws integers uniformly on [0, n) (chi-square)', () => {
    const stream = rowStream(key);
    for (const n of [2, 10, 37]) {
      const draws = 20_000 * n;
      const counts = new Array(n).fill(0);
      let outside = 0;
      for (let i = 0; i < draws; i++) {
        const value = stream.int(n);
        if (Number.isInteger(value) && value >= 0 && value < n) counts[value]++;
        else outside++;
      }
      expect(outside).toBe(0);
      const expected = draws / n;
      const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
      // df = n − 1; mean df, sd √(2 df); 6 sd above the mean is a p of well under 1e-6.
      expect(chiSquare).toBeLessThan(n - 1 + 6 * Math.sqrt(2 * (n - 1)));
    }
    expect(stream.int(1)).toBe(0);
    const big = rowStream(key).int(2 ** 40);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(big).toBeLessThan(2 ** 40);
    expect(() => stream.int(0)).toThrow('int(n) needs n >= 1, got 0');
    expect(() => stream.int(2.5)).toThrow('int(n) needs n >= 1, got 2.5');
  });

  it('chooses list items uniformly and refuses an empty list', () => {
    const stream = rowStream(key);
    const items = ['a', 'b', 'c'];
    const counts = new Map<string, number>();
    for (let i = 0; i < 30_000; i++) {
      const item = stream.choice(items);
      counts.set(item, (counts.get(item) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(items);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(600);
    expect(() => stream.choice([])).toThrow('choice() from an empty list');
  });
});
