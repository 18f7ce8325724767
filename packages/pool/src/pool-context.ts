import { type Connection, type ConnectionRole, openConnection } from './connection.js';
import type { Counters, PoolContext } from './context.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { errorInfo } from './errors.js';
import type { BusyStats } from './interrupt.js';
import type { EventBus } from './event-bus.js';
import type { ConnectionReason, PoolEvents } from './events.js';
import type { ResolvedPoolOptions } from './options.js';
import { QueryMeter } from './query-meter.js';
import type { PoolStats } from './types.js';

/** The pool's circuit breaker, configured from its options, reporting on the `circuit` event. */
export function createPoolBreaker(
  poolId: number,
  opts: ResolvedPoolOptions,
  events: EventBus<PoolEvents>,
): CircuitBreaker {
  return new CircuitBreaker(
    opts.circuitBreaker.failureThreshold,
    opts.circuitBreaker.resetTimeoutMs,
    opts.circuitBreaker.enabled,
    (from, to, failures, reason) => {
      if (events.listening('circuit')) {
        events.emit('circuit', {
          poolId,
          from,
          to,
          consecutiveFailures: failures,
          ...(reason === undefined ? {} : { reason }),
        });
      }
    },
  );
}

/** Adds a closing connection's busy-handler figures to the pool's running totals. */
function addBusy(counters: Counters, b: BusyStats): void {
  counters.busyWaits += b.waits;
  counters.busyTimeouts += b.timeouts;
  counters.busySleptMs += b.sleptMs;
  counters.maxBusyWaitMs = Math.max(counters.maxBusyWaitMs, b.maxWaitMs);
}

/** What the context needs from the pool that owns it. */
export interface PoolContextDeps {
  readonly id: number;
  readonly filename: string;
  readonly opts: ResolvedPoolOptions;
  readonly events: EventBus<PoolEvents>;
  readonly breaker: CircuitBreaker;
  readonly counters: Counters;
  /** Called after every commit of this pool (snapshots end, caches drop what they hold). */
  readonly onLocalCommit: () => void;
  /** The pool's occupancy now, for the `utilization` event. */
  readonly occupancy: () => Pick<PoolStats, 'total' | 'leased' | 'waiting' | 'maxConnections'>;
}

/**
 * The services the pool's parts share: opening and closing connections with their events and
 * counters, statement timing (`query`, `query:batch`), error reporting, transaction ids.
 */
export function createPoolContext(deps: PoolContextDeps): PoolContext {
  const { id, filename, opts, events, breaker, counters } = deps;
  let nextConnectionId = 1;
  let nextTransactionId = 1;
  return {
    id,
    filename,
    opts,
    events,
    breaker,
    counters,
    open: (role: ConnectionRole, reason: ConnectionReason) => {
      const started = performance.now();
      try {
        const conn = openConnection(nextConnectionId++, role, filename, opts);
        counters.connectionsOpened++;
        if (events.listening('connection:open')) {
          events.emit('connection:open', {
            poolId: id,
            connectionId: conn.id,
            role,
            reason,
            durationMs: performance.now() - started,
          });
        }
        return conn;
      } catch (err) {
        breaker.failure(err);
        if (events.listening('connection:error'))
          events.emit('connection:error', { poolId: id, role, error: errorInfo(err) });
        throw err;
      }
    },
    allocateConnectionId: () => nextConnectionId++,
    close: (conn: Connection, reason: ConnectionReason) => {
      if (conn.closed) return;
      const busy = conn.busyStats();
      if (busy !== null) addBusy(counters, busy);
      conn.close();
      counters.connectionsClosed++;
      if (events.listening('connection:close')) {
        events.emit('connection:close', {
          poolId: id,
          connectionId: conn.id,
          role: conn.role,
          reason,
          ageMs: Date.now() - conn.createdAt,
        });
      }
    },
    onLocalCommit: deps.onLocalCommit,
    utilizationChanged: () => {
      if (!events.listening('utilization')) return;
      const s = deps.occupancy();
      events.emit('utilization', {
        poolId: id,
        total: s.total,
        leased: s.leased,
        waiting: s.waiting,
        max: s.maxConnections,
      });
    },
    nextTransactionId: () => nextTransactionId++,
    meter: new QueryMeter(id, filename, events),
    reportError: (where: string, error: unknown) => {
      if (events.listening('error')) events.emit('error', { poolId: id, where, error });
    },
  };
}
