import { describe, expect, it } from 'vitest';
import { binHigh, binLow, binOf, newHistogram, quantile } from '../src/histogram.js';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the latency histogram', () => {
  it('places every value in the bin whose edges hold it', () => {
    for (const v of [0.001, 0.00123, 0.5, 1, 1.24, 1.25, 3, 999.9, 1000, 65_000]) {
      const b = binOf(v);
      expect(binLow(b), `${v}`).toBeLessThanOrEqual(v);
      expect(binHigh(b), `${v}`).toBeGreaterThan(v);
    }
    expect(binOf(0)).toBe(0);
    expect(binOf(Number.NaN)).toBe(0);
    expect(binOf(1e12)).toBe(127);
  });

  it('p50/p95/p99 of a log-normal sample are within one bin (≤ 25%) of the exact quantiles', () => {
    const seed = Number(process.env.HISTOGRAM_SEED ?? 20261128);
    const random = prng(seed);
    const values: number[] = [];
    const hist = newHistogram();
    for (let i = 0; i < 20_000; i++) {
      // Box–Muller: log-normal around 0.05 ms with a long tail, as point reads look.
      const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const v = 0.05 * Math.exp(1.2 * z);
      values.push(v);
      hist[binOf(v)]!++;
    }
    values.sort((a, b) => a - b);
    const max = values.at(-1)!;
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      const estimate = quantile(hist, q, max)!;
      expect(Math.abs(estimate - exact) / exact, `q=${q} seed=${seed}`).toBeLessThanOrEqual(0.25);
    }
    expect(quantile(hist, 1, max)).toBe(max);
    expect(quantile(newHistogram(), 0.5, 0)).toBeUndefined();
  });
});
