/**
 * A log-linear latency histogram: 4 linear bins per power of two, from 2^-10 ms (~1 µs) to
 * 2^22 ms (~70 min), 128 bins in all. Bins add up across time buckets and statements, so a
 * percentile over a window is read from the merged counts (never an average of averages); a
 * value is placed with a few bit operations on its float64 representation (no `Math.log`).
 */
export const BINS = 128;
const MIN_EXP = -10;
const MIN_VALUE = 2 ** MIN_EXP;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// The high word of a float64 holds its sign, exponent and top mantissa bits.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The bin of `ms` (0 for zero, negative or NaN; the last bin for anything past the range). */
export function binOf(ms: number): number {
  if (!(ms >= MIN_VALUE)) return 0;
  f64[0] = ms;
  const hi = u32[HI]!;
  const b = ((((hi >>> 20) & 0x7ff) - 1023 - MIN_EXP) << 2) | ((hi >>> 18) & 3);
  return b < BINS ? b : BINS - 1;
}

/** The lower edge of bin `b` in ms (0 for the first bin). */
export function binLow(b: number): number {
  if (b === 0) return 0;
  return 2 ** ((b >> 2) + MIN_EXP) * (1 + (b & 3) / 4);
}

/** The upper edge of bin `b` in ms. */
export function binHigh(b: number): number {
  return 2 ** ((b >> 2) + MIN_EXP) * (1 + ((b & 3) + 1) / 4);
}

/** A new, empty histogram. */
export function newHistogram(): Uint32Array {
  return new Uint32Array(BINS);
}

/** Adds `from`'s counts into `into`. */
export function mergeInto(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < BINS; i++) into[i]! += from[i]!;
}

/**
 * The `q` quantile (0–1) of the values counted in `hist`, interpolated inside its bin and never
 * above `max` (the exact largest value seen). `undefined` when the histogram is empty.
 */
export function quantile(hist: Uint32Array, q: number, max: number): number | undefined {
  let total = 0;
  for (let i = 0; i < BINS; i++) total += hist[i]!;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < BINS; i++) {
    const c = hist[i]!;
    if (c === 0) continue;
    if (seen + c >= rank) {
      const lo = binLow(i);
      const value = lo + (binHigh(i) - lo) * ((rank - seen) / c);
      return Math.min(value, max);
    }
    seen += c;
  }
  return max;
}

/** p50, p95, p99 and max of a histogram, in ms. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Summarises a histogram with its count, sum and exact maximum; `undefined` when empty. */
export function summarize(
  hist: Uint32Array,
  count: number,
  totalMs: number,
  maxMs: number,
): LatencySummary | undefined {
  if (count === 0) return undefined;
  return {
    count,
    meanMs: totalMs / count,
    p50Ms: quantile(hist, 0.5, maxMs) ?? 0,
    p95Ms: quantile(hist, 0.95, maxMs) ?? 0,
    p99Ms: quantile(hist, 0.99, maxMs) ?? 0,
    maxMs,
  };
}
