/**
 * @hivedb/pool — a SQLite connection manager that knows SQLite's single writer.
 * @packageDocumentation
 */
export { createPool } from './pool.js';
export { DatabaseConnectionManager } from './connection-manager.js';
export type {
  ConnectionManagerPoolOptions,
  BeginTransactionOptions,
} from './connection-manager.js';
export { EventBus } from './event-bus.js';
export type { EventMap, EventSource, ListenerErrorPayload, ListeningFlag } from './event-bus.js';
export { HiveDbError, isHiveDbError, isBusyError, isUnwellError, sqliteCodeOf } from './errors.js';
export { BATCH_MS, NOTABLE_MS, SAMPLE_EVERY } from './query-meter.js';
export type { HiveDbErrorOptions, PoolErrorCode } from './errors.js';
export { DEFAULT_POOL_OPTIONS, resolvePoolOptions } from './options.js';
export type {
  CircuitBreakerOptions,
  PoolOptions,
  QueryCacheOptions,
  ResolvedPoolOptions,
  RetryOptions,
} from './options.js';
export { resolveDatabasePath } from './path-safety.js';
export { ensureDatabaseFolder } from './database-folder.js';
export type {
  AcquireEvent,
  AcquireTimeoutEvent,
  CacheEvent,
  CheckpointEvent,
  CircuitEvent,
  ConnectionCloseEvent,
  ConnectionErrorEvent,
  ConnectionEventRole,
  ConnectionOpenEvent,
  ConnectionReason,
  HealthEvent,
  PoolErrorEvent,
  PoolEvents,
  QueryBatchEvent,
  QueryBatchStatement,
  QueryEvent,
  ReleaseEvent,
  RetryEvent,
  TransactionEvent,
  UtilizationEvent,
  WalEvent,
} from './events.js';
export type {
  AcquireOptions,
  BindParams,
  CheckpointOptions,
  CheckpointResult,
  CircuitState,
  CloseOptions,
  HealthReport,
  Lease,
  Pool,
  PoolStats,
  QueryOptions,
  QueryResult,
  RunResult,
  SyncQueryable,
  Transaction,
  TransactionHandle,
  TransactionMode,
  TransactionOptions,
  WalStats,
} from './types.js';
