/**
 * @hivedb/store — `SharedMemoryStore`, the namespaced, versioned, cache-coherent memory that
 * agents in one process or many share, on `@hivedb/pool` and `@hivedb/schema`.
 * @packageDocumentation
 */
export { SharedMemoryStore } from './shared-memory-store.js';
export type { AtomicInfo } from './atomic.js';
export { Batch } from './batch.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export type { BackupOptions, BackupResult } from './backup.js';
export type { RestoreResult } from './restore.js';
export type { ExportOptions } from './export.js';
export type { ImportOptions, ImportResult } from './import.js';
export type { ImportSource } from './jsonl.js';
export type { BackupProgress } from './transfer-backend.js';
export { DEFAULT_STORE_OPTIONS, resolveStoreOptions } from './options.js';
export type {
  ChangeFeedOptions,
  HistoryOptions,
  LockOptions,
} from './options.js';
export type {
  AtomicRetryOptions,
  ResolvedStoreOptions,
  StoreCacheOptions,
  StoreOptions,
  StorePoolOptions,
} from './options.js';
export { DATA_TYPES, NAMESPACES } from './types.js';
export type {
  AcquireLockOptions,
  Change,
  HistoryEntry,
  HistoryQueryOptions,
  LockLease,
  RenewLockOptions,
  SubscribeOptions,
  Subscription,
} from './types.js';
export type {
  AtomicOptions,
  BatchCheck,
  BatchOpResult,
  BatchResult,
  BulkEntry,
  BulkResult,
  CountOptions,
  DataType,
  DeleteOptions,
  EntryMetadata,
  GetOptions,
  GetResult,
  IncrementOptions,
  JsonValue,
  KeysOptions,
  ListEntry,
  ListOptions,
  ListResult,
  NamespaceOptions,
  PoolView,
  SetOptions,
  SetResult,
  StoreCounters,
  StoreStats,
  TouchResult,
} from './types.js';
export type {
  CacheEvent,
  ClearEvent,
  ConflictEvent,
  DeleteEvent,
  ExpireEvent,
  FlushEvent,
  GetEvent,
  SetEvent,
  StoreErrorEvent,
  StoreEvents,
  WriteSource,
} from './events.js';
