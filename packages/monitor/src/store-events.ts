/**
 * The store's events as the monitor reads them: a structural contract, so that the monitor
 * attaches to `@hivedb/store`'s bus (or any bus with these names) without importing the store.
 * Every field the monitor does not need to tell events apart is optional.
 */

/** `set`, `get`, `delete`: one operation on one key. */
export interface StoreOperationPayload {
  readonly namespace?: string | null;
  readonly key?: string;
  readonly agentId?: string;
  readonly durationMs?: number;
}

/** The store's event map, as far as the monitor reads it. */
export interface MonitoredStoreEvents {
  set: StoreOperationPayload;
  get: StoreOperationPayload & { readonly found?: boolean; readonly cacheHit?: boolean };
  delete: StoreOperationPayload;
  clear: {
    readonly namespace?: string | null;
    readonly deleted?: number;
    readonly durationMs?: number;
  };
  expire: { readonly count?: number; readonly durationMs?: number };
  conflict: {
    readonly namespace?: string;
    readonly key?: string;
    readonly operation?: string;
    readonly reason?: string;
  };
  cache: { readonly type: 'hit' | 'miss' | 'invalidate' };
  flush: { readonly durationMs?: number };
  error: { readonly where?: string; readonly error: unknown };
}

/**
 * Any bus the monitor can attach to: `on` and `off` by event name, as `@hivedb/pool`'s
 * `EventSource` (and so `pool.events` and `store.events`) has them.
 */
export interface AttachableBus<M> {
  on<K extends keyof M & string>(event: K, listener: (payload: M[K]) => void): unknown;
  off<K extends keyof M & string>(event: K, listener: (payload: M[K]) => void): unknown;
}
