import { EventEmitter } from 'eventemitter3';

/** An event map: an interface whose keys are event names and whose values are payload types. */
export type EventMap = object;

/** What a listener's failure looks like on the bus's own error channel. */
export interface ListenerErrorPayload {
  /** The event whose listener threw. */
  readonly event: string;
  readonly error: unknown;
}

type Listener<P> = (payload: P) => void;
type WithListenerError<M> = M & { 'listener:error': ListenerErrorPayload };

/**
 * The subscriber's side of a typed event bus: what a package hands out as `pool.events`.
 * Listeners are isolated: one that throws never fails the operation that emitted, and its error
 * is delivered on `'listener:error'`.
 */
export interface EventSource<M extends EventMap> {
  on<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this;
  once<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this;
  off<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this;
  /** Whether anyone listens to `event`: emitters build a payload only when this is true. */
  listening(event: keyof M & string): boolean;
  listenerCount(event: keyof WithListenerError<M> & string): number;
}

/**
 * A typed event bus over eventemitter3. Only the package that owns it emits.
 *
 * @example
 * const bus = new EventBus<{ tick: { n: number } }>();
 * bus.on('tick', (e) => console.log(e.n));
 * if (bus.listening('tick')) bus.emit('tick', { n: 1 });
 */
export class EventBus<M extends EventMap> implements EventSource<M> {
  readonly #ee = new EventEmitter();
  #warned = false;

  on<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this {
    this.#ee.on(event, listener);
    return this;
  }

  once<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this {
    this.#ee.once(event, listener);
    return this;
  }

  off<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this {
    this.#ee.off(event, listener);
    return this;
  }

  listening(event: keyof M & string): boolean {
    return this.#ee.listenerCount(event) > 0;
  }

  listenerCount(event: keyof WithListenerError<M> & string): number {
    return this.#ee.listenerCount(event);
  }

  /** Removes every listener (used by the owner's `close()`). */
  removeAllListeners(): void {
    this.#ee.removeAllListeners();
  }

  /**
   * Delivers `payload` to each listener of `event`, each in its own try/catch. Callers check
   * `listening(event)` first when the payload costs anything to build.
   */
  emit<K extends keyof M & string>(event: K, payload: M[K]): void {
    const count = this.#ee.listenerCount(event);
    if (count === 0) return;
    if (count === 1) {
      // eventemitter3 keeps a single listener unwrapped; avoid the array copy on the hot path.
      const [fn] = this.#ee.listeners(event) as Listener<M[K]>[];
      this.#call(event, fn!, payload);
      return;
    }
    for (const fn of this.#ee.listeners(event) as Listener<M[K]>[]) this.#call(event, fn, payload);
  }

  #call<P>(event: string, fn: Listener<P>, payload: P): void {
    try {
      fn(payload);
    } catch (error) {
      this.#reportListenerError(event, error);
    }
  }

  #reportListenerError(event: string, error: unknown): void {
    if (event !== 'listener:error' && this.#ee.listenerCount('listener:error') > 0) {
      for (const fn of this.#ee.listeners('listener:error')) {
        try {
          fn({ event, error });
        } catch {
          // A failing error listener has nowhere left to report to; the emitter must not fail.
        }
      }
      return;
    }
    if (!this.#warned) {
      this.#warned = true;
      process.emitWarning(
        `a listener of '${event}' threw (${error instanceof Error ? error.message : String(error)}); listen to 'listener:error' to see each one`,
        { code: 'HIVEDB_LISTENER_ERROR' },
      );
    }
  }
}
