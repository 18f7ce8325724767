import type { CircuitBreaker } from './circuit-breaker.js';
import type { Connection, ConnectionRole } from './connection.js';
import type { EventBus } from './event-bus.js';
import type { ConnectionReason, PoolEvents } from './events.js';
import type { ResolvedPoolOptions } from './options.js';
import type { QueryMeter } from './query-meter.js';
import type { BindParams } from './types.js';

/** The pool's mutable counters, read through `stats()`. */
export interface Counters {
  queries: number;
  errors: number;
  acquireTimeouts: number;
  committed: number;
  rolledBack: number;
  timedOut: number;
  retries: number;
  connectionsOpened: number;
  connectionsClosed: number;
  snapshots: number;
  groupCommits: number;
  groupedWrites: number;
  checkpoints: number;
  /** Busy-handler figures of connections already closed (open ones are asked at `stats()`). */
  busyWaits: number;
  busyTimeouts: number;
  busySleptMs: number;
  maxBusyWaitMs: number;
}

/** What the pool's parts share. Private to the package. */
export interface PoolContext {
  readonly id: number;
  readonly filename: string;
  readonly opts: ResolvedPoolOptions;
  readonly events: EventBus<PoolEvents>;
  readonly breaker: CircuitBreaker;
  readonly counters: Counters;
  /** Opens a connection, counting it and emitting `connection:open` (or `connection:error` and throwing). */
  open(role: ConnectionRole, reason: ConnectionReason): Connection;
  /** A fresh connection id, for a connection opened elsewhere (an offload worker's). */
  allocateConnectionId(): number;
  /** Closes a connection, counting it and emitting `connection:close`. */
  close(conn: Connection, reason: ConnectionReason): void;
  /** This process committed a write: read snapshots end and the query cache is cleared. */
  onLocalCommit(): void;
  /**
   * Emits `utilization` (connections leased now, of the total) when someone listens. Called
   * where a connection changes hands: a reader taken or returned (a lease, a read snapshot), the
   * writer granted or given back (a transaction, a write lease).
   */
  utilizationChanged(): void;
  nextTransactionId(): number;
  /** Times statements for the `query` and `query:batch` events (see QueryMeter). */
  readonly meter: QueryMeter;
  /** Reports a failure no caller awaits on the `error` event. */
  reportError(where: string, error: unknown): void;
}

/** Counts bound parameters without looking at their values. */
export function paramCount(params: BindParams | undefined): number {
  if (params === undefined) return 0;
  return Array.isArray(params) ? params.length : Object.keys(params).length;
}
