// A latency histogram small enough to send from a child process: buckets 2 % wide on a log
// scale from 0.1 µs to over a minute, so a merged p99 is within 2 % of the exact one.
const STEP = Math.log(1.02);
const BUCKETS = 1100;

/** A histogram of latencies in microseconds. */
export function histogram() {
  return new Float64Array(BUCKETS);
}

/** Adds one latency (µs). */
export function record(h, us) {
  const i = us <= 0.1 ? 0 : Math.floor(Math.log(us * 10) / STEP);
  h[i < BUCKETS ? i : BUCKETS - 1]++;
}

/** The non-empty buckets, as `[index, count]` pairs (what a child sends). */
export function sparse(h) {
  const out = [];
  for (let i = 0; i < h.length; i++) if (h[i] > 0) out.push([i, h[i]]);
  return out;
}

/** Adds sparse buckets into `h`. */
export function merge(h, pairs) {
  for (const [i, n] of pairs) h[i] += n;
  return h;
}

/** The latency (µs, the bucket's upper bound) below which a fraction `q` of the samples lie. */
export function percentile(h, q) {
  let total = 0;
  for (let i = 0; i < h.length; i++) total += h[i];
  if (total === 0) return null;
  const want = q * total;
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= want) return 1.02 ** (i + 1) / 10;
  }
  return null;
}
