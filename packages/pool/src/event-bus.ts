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
  /**
   * Asks the bus's owner to deliver at once what it batches (a pool's `query:batch`), so that
   * figures read next include every statement made so far. Does nothing on a bus that batches
   * nothing.
   */
  flush(): void;
}

/** Whether an event has listeners, kept current by its bus (see `EventBus.flag`). */
export interface ListeningFlag {
  on: boolean;
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
  /** event → listener → the isolating wrappers registered for it (so `off(fn)` finds them). */
  readonly #wrappers = new Map<string, Map<Listener<never>, Set<Listener<unknown>>>>();
  /** event → listeners registered. */
  #counts: Record<string, number> = Object.create(null);
  /** event → its live flag (see `flag()`). */
  readonly #flags = new Map<string, ListeningFlag>();
  #warned = false;
  #flusher: (() => void) | undefined;
  readonly #watchers = new Map<string, (() => void)[]>();

  on<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this {
    this.#ee.on(event, this.#wrap(event, listener, false));
    return this;
  }

  once<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this {
    this.#ee.once(event, this.#wrap(event, listener, true));
    return this;
  }

  off<K extends keyof WithListenerError<M> & string>(
    event: K,
    listener: Listener<WithListenerError<M>[K]>,
  ): this {
    const byListener = this.#wrappers.get(event);
    const wrappers = byListener?.get(listener as Listener<never>);
    if (wrappers === undefined) return this;
    for (const w of wrappers) this.#ee.off(event, w);
    this.#count(event, -wrappers.size);
    byListener!.delete(listener as Listener<never>);
    return this;
  }

  listening(event: keyof M & string): boolean {
    return (this.#counts[event] ?? 0) > 0;
  }

  /**
   * A live flag for `event`: `flag.on` is true while it has listeners. Hot paths hold the flag and
   * read one property per call instead of looking the event up.
   */
  flag(event: keyof M & string): ListeningFlag {
    let f = this.#flags.get(event);
    if (f === undefined) {
      f = { on: this.listening(event) };
      this.#flags.set(event, f);
    }
    return f;
  }

  /**
   * Calls `fn` whenever one of `events` gets its first listener or loses its last: for an owner
   * that keeps its own state of who listens (a hot path reading one field).
   */
  watch(events: readonly (keyof M & string)[], fn: () => void): void {
    for (const e of events) {
      let list = this.#watchers.get(e);
      if (list === undefined) {
        list = [];
        this.#watchers.set(e, list);
      }
      list.push(fn);
    }
  }

  #count(event: string, delta: number): void {
    const before = this.#counts[event] ?? 0;
    const n = before + delta;
    this.#counts[event] = n;
    const f = this.#flags.get(event);
    if (f !== undefined) f.on = n > 0;
    if (before > 0 !== n > 0) for (const fn of this.#watchers.get(event) ?? []) fn();
  }

  listenerCount(event: keyof WithListenerError<M> & string): number {
    return this.#ee.listenerCount(event);
  }

  flush(): void {
    this.#flusher?.();
  }

  /** The owner's side of `flush()`: what delivers its batched events. */
  setFlusher(flusher: (() => void) | undefined): void {
    this.#flusher = flusher;
  }

  /** Removes every listener (used by the owner's `close()`). */
  removeAllListeners(): void {
    this.#ee.removeAllListeners();
    this.#wrappers.clear();
    const had = Object.keys(this.#counts).filter((e) => (this.#counts[e] ?? 0) > 0);
    this.#counts = Object.create(null);
    for (const f of this.#flags.values()) f.on = false;
    for (const e of had) for (const fn of this.#watchers.get(e) ?? []) fn();
  }

  /**
   * Delivers `payload` to each listener of `event`. Each listener runs inside its own try/catch
   * (its wrapper), so one that throws neither fails the emitter nor starves the others.
   * Callers check `listening(event)` first when the payload costs anything to build.
   */
  emit<K extends keyof M & string>(event: K, payload: M[K]): void {
    this.#ee.emit(event, payload);
  }

  /**
   * The listener as registered with eventemitter3: isolated, so that its emit (which has no
   * array copy for a single listener, and removes `once` listeners itself) stays the hot path.
   */
  #wrap<P>(event: string, listener: Listener<P>, once: boolean): Listener<unknown> {
    let byListener = this.#wrappers.get(event);
    if (byListener === undefined) {
      byListener = new Map();
      this.#wrappers.set(event, byListener);
    }
    let set = byListener.get(listener as Listener<never>);
    if (set === undefined) {
      set = new Set();
      byListener.set(listener as Listener<never>, set);
    }
    const wrappers = set;
    const wrapper: Listener<unknown> = (payload) => {
      if (once) {
        wrappers.delete(wrapper);
        this.#count(event, -1);
        if (wrappers.size === 0) byListener.delete(listener as Listener<never>);
      }
      try {
        listener(payload as P);
      } catch (error) {
        this.#reportListenerError(event, error);
      }
    };
    wrappers.add(wrapper);
    this.#count(event, 1);
    return wrapper;
  }

  #reportListenerError(event: string, error: unknown): void {
    if (event !== 'listener:error' && this.#ee.listenerCount('listener:error') > 0) {
      // listener:error's own listeners are wrapped too: one that throws lands back here with
      // event 'listener:error', which goes to the warning below instead of recursing.
      this.#ee.emit('listener:error', { event, error });
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
