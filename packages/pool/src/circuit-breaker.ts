import { HiveDbError, isUnwellError } from './errors.js';
import type { CircuitState } from './types.js';

/** What the breaker tells its owner when its state changes. */
export type CircuitListener = (
  from: CircuitState,
  to: CircuitState,
  failures: number,
  reason?: string,
) => void;

/**
 * Fails fast while the database itself is unwell. Opens after `threshold` consecutive failures
 * that `isUnwellError` accepts (cannot open, I/O, corrupt, full, read-only), never for a caller's
 * mistake; after `resetTimeoutMs` lets one probe through (half-open); closes on its success.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetTimeoutMs: number;
  readonly #enabled: boolean;
  readonly #onChange: CircuitListener;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;
  #probeAt = 0;
  #lastReason: string | undefined;

  constructor(
    threshold: number,
    resetTimeoutMs: number,
    enabled: boolean,
    onChange: CircuitListener,
  ) {
    this.#threshold = threshold;
    this.#resetTimeoutMs = resetTimeoutMs;
    this.#enabled = enabled;
    this.#onChange = onChange;
  }

  get state(): CircuitState {
    return this.#state;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Throws `POOL_CIRCUIT_OPEN` unless a call may go through now. */
  beforeCall(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'open' && Date.now() - this.#openedAt >= this.#resetTimeoutMs) {
      this.#set('half-open');
    }
    // A probe that never reported (its caller went away) must not wedge the breaker half-open.
    if (
      this.#state === 'half-open' &&
      (!this.#probeInFlight || Date.now() - this.#probeAt >= this.#resetTimeoutMs)
    ) {
      this.#probeInFlight = true;
      this.#probeAt = Date.now();
      return;
    }
    throw new HiveDbError(
      'POOL_CIRCUIT_OPEN',
      `circuit open: the database failed ${this.#failures} times in a row (last: ${this.#lastReason ?? 'unknown'}); calls fail fast until a probe succeeds`,
      { details: { state: this.#state, failures: this.#failures } },
    );
  }

  /** A call reached the database and it answered. */
  success(): void {
    if (this.#failures === 0 && this.#state === 'closed') return;
    this.#failures = 0;
    this.#probeInFlight = false;
    if (this.#state !== 'closed') this.#set('closed');
  }

  /** A call failed; only failures that mean the database is unwell count. */
  failure(err: unknown): void {
    if (!this.#enabled) return;
    if (!isUnwellError(err)) {
      // A caller's mistake proves the database answered: a probe that hit one still succeeded.
      if (this.#state === 'half-open' && this.#probeInFlight) this.success();
      return;
    }
    this.#failures++;
    this.#lastReason = err instanceof Error ? err.message : String(err);
    if (this.#state === 'half-open') {
      this.#probeInFlight = false;
      this.#open();
    } else if (this.#state === 'closed' && this.#failures >= this.#threshold) {
      this.#open();
    }
  }

  /** A probe call ended without reaching the database (a timeout, a closed pool): let another try. */
  abandonProbe(): void {
    this.#probeInFlight = false;
  }

  #open(): void {
    this.#openedAt = Date.now();
    this.#set('open');
  }

  #set(to: CircuitState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#onChange(from, to, this.#failures, to === 'open' ? this.#lastReason : undefined);
  }
}
