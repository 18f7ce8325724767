/**
 * @hivedb/testkit — fixtures (temp folders, pools and stores, seeded data, an injectable clock)
 * and real fault injection (a write lock held by another process, SIGKILL in the middle of a
 * write transaction, read-only, truncated and corrupt files, a full disk, a slow query) for
 * hivedb. The 12-case reliability suite is `@hivedb/testkit/suite` (it imports vitest).
 * @packageDocumentation
 */
export { createTempDir } from './temp-dir.js';
export type { TempDir } from './temp-dir.js';
export { manualClock } from './clock.js';
export type { ManualClock } from './clock.js';
export { openTestPool, openTestStore } from './open.js';
export type { OpenTestPoolOptions } from './open.js';
export { seedKey, seedStore, seedValue } from './seed.js';
export type { SeedOptions } from './seed.js';
export { assertSerializable } from './config.js';
export type { TestConfig, TestConfigFactory, TestPoolOptions, TestStoreOptions } from './config.js';
export { TestkitError } from './errors.js';
export type { TestkitErrorCode } from './errors.js';
export { childrenDir, killAllChildren, runChild, spawnChild } from './child-process.js';
export type { Child, ChildScript, SpawnChildOptions } from './child-process.js';
export { runStoreWorker, startStoreWorker } from './store-worker.js';
export type { StoreWorkerArgs, StoreWorkerOp } from './store-worker.js';
export { holdWriteLock } from './faults/hold-write-lock.js';
export type { WriteLockHolder } from './faults/hold-write-lock.js';
export { killDuring } from './faults/kill-during.js';
export type { KillDuringOptions, KillDuringResult } from './faults/kill-during.js';
export {
  corruptPage,
  makeReadOnly,
  pageSizeOf,
  permissionChecked,
  truncateFile,
  unprivilegedUser,
} from './faults/files.js';
export type { Restorable } from './faults/files.js';
export { diskFullPragmas } from './faults/disk-full.js';
export { slowQuery } from './faults/slow-query.js';
export type { SlowQueryRun } from './faults/slow-query.js';
export { countOpenFds, rssAfterGc } from './resources.js';
export { POSTGRES_BIN_DIR, startPostgres } from './postgres-server.js';
export type { PostgresServer, StartPostgresOptions } from './postgres-server.js';
