import { binOf, mergeInto, newHistogram, type LatencySummary, summarize } from './histogram.js';

/** Durations of one kind of thing (acquire waits, lease holds, transactions): count, sum, max and a histogram. */
export class Timing {
  count = 0;
  totalMs = 0;
  maxMs = 0;
  readonly hist: Uint32Array = newHistogram();

  add(ms: number): void {
    this.count++;
    this.totalMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
    this.hist[binOf(ms)]!++;
  }

  /** Adds another timing's counts into this one. */
  merge(other: Timing): void {
    this.count += other.count;
    this.totalMs += other.totalMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
    mergeInto(this.hist, other.hist);
  }

  summary(): LatencySummary | undefined {
    return summarize(this.hist, this.count, this.totalMs, this.maxMs);
  }
}

/**
 * Cumulative counts for a Prometheus histogram in seconds. The bounds are OpenTelemetry's
 * advisory buckets for database durations, with two below 1 ms added because SQLite answers most
 * statements in microseconds.
 */
export const SECONDS_BOUNDS: readonly number[] = Object.freeze([
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
]);
const MS_BOUNDS = SECONDS_BOUNDS.map((s) => s * 1000);

/** A lifetime histogram for export: never reset, so Prometheus can take rates of it. */
export class ExportHistogram {
  count = 0;
  sumMs = 0;
  /** Per bucket (not cumulative) counts; values past the last bound are only in `count`. */
  readonly buckets = new Float64Array(SECONDS_BOUNDS.length);

  /** Counts `n` observations of `ms` (n > 1: a sampled timing standing for n statements). */
  add(ms: number, n = 1): void {
    this.count += n;
    this.sumMs += ms * n;
    for (let i = 0; i < MS_BOUNDS.length; i++) {
      if (ms <= MS_BOUNDS[i]!) {
        this.buckets[i]! += n;
        return;
      }
    }
  }
}
