/** A clock that a test moves by hand: pass `clock.now` as a store's or a monitor's `clock`. */
export interface ManualClock {
  /** The current time in ms since the epoch (bound: safe to pass around). */
  readonly now: () => number;
  /** Moves the clock forward by `ms` (must be ≥ 0). */
  advance(ms: number): void;
  /** Sets the clock to `t`. */
  set(t: number): void;
}

/**
 * An injectable clock for TTL and retention tests.
 *
 * @example
 * const clock = manualClock();
 * const store = await openTestStore(root, { clock: clock.now });
 * await store.set('k', 1, { ttl: 1000 });
 * clock.advance(1001); // now expired
 */
export function manualClock(start = 1_700_000_000_000): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`manualClock.advance: ${ms} is not a number ≥ 0`);
      t += ms;
    },
    set(v) {
      t = v;
    },
  };
}
