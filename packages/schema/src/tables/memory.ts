import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * `memory.db`'s `shared_memory` table: the seed's columns, CHECK constraints and indexes, with one
 * deliberate change: the primary key is (namespace, key), so that the same key in two namespaces
 * names two entries (a key-only primary key made namespaces labels only).
 *
 * Timestamps are milliseconds since the epoch. `value` and `metadata` hold serialized text.
 *
 * @example
 * import { drizzle } from 'drizzle-orm/better-sqlite3';
 * const rows = drizzle(raw).select().from(sharedMemory).where(eq(sharedMemory.namespace, 'agents')).all();
 */
export const sharedMemory = sqliteTable(
  'shared_memory',
  {
    key: text('key').notNull(),
    namespace: text('namespace').notNull(),
    dataType: text('data_type').notNull(),
    value: text('value').notNull(),
    metadata: text('metadata'),
    version: integer('version').default(1),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    expiresAt: integer('expires_at'),
    sizeBytes: integer('size_bytes').default(0),
    accessCount: integer('access_count').default(0),
    lastAccessed: integer('last_accessed'),
  },
  (t) => [
    primaryKey({ columns: [t.namespace, t.key] }),
    check('chk_version', sql`${t.version} > 0`),
    check('chk_timestamps', sql`${t.updatedAt} >= ${t.createdAt}`),
    index('idx_namespace_type').on(t.namespace, t.dataType),
    index('idx_expires_at_not_null').on(t.expiresAt).where(sql`${t.expiresAt} IS NOT NULL`),
    index('idx_last_accessed_desc').on(sql`${t.lastAccessed} DESC`),
  ],
);

/**
 * `memory.db`'s `memory_locks` table: one lease per (namespace, key). The row stays after a
 * release (`holder` NULL) so that `token`, the fencing token, keeps increasing for the key across
 * every process. `expires_at` (ms) is when a holder that died loses the lock.
 */
export const memoryLocks = sqliteTable(
  'memory_locks',
  {
    namespace: text('namespace').notNull(),
    key: text('key').notNull(),
    holder: text('holder'),
    token: integer('token').notNull(),
    acquiredAt: integer('acquired_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.namespace, t.key] }),
    check('chk_lock_token', sql`${t.token} > 0`),
  ],
);

/**
 * `memory.db`'s `memory_changes` table: the change feed. Triggers on `shared_memory` (migration
 * 0002) append one row per committed write (`set`), delete (`delete`) or sweep of an expired
 * entry (`expire`), in the writing transaction. `seq` is AUTOINCREMENT: never reused, even after
 * pruning. `at` (ms) is what pruning by age goes by.
 */
export const memoryChanges = sqliteTable(
  'memory_changes',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    namespace: text('namespace').notNull(),
    key: text('key').notNull(),
    op: text('op', { enum: ['set', 'delete', 'expire'] }).notNull(),
    version: integer('version'),
    at: integer('at').notNull(),
  },
  (t) => [
    check('chk_change_op', sql`${t.op} IN ('set', 'delete', 'expire')`),
    index('idx_memory_changes_at').on(t.at),
  ],
);

/**
 * `memory.db`'s `memory_change_context` table: empty at rest. The expiry sweep puts `'expire'`
 * in it for the length of its transaction, so that the delete trigger logs `expire`, not `delete`.
 */
export const memoryChangeContext = sqliteTable(
  'memory_change_context',
  {
    id: integer('id').primaryKey(),
    deleteOp: text('delete_op').notNull(),
  },
  (t) => [check('chk_change_context_id', sql`${t.id} = 1`)],
);

/**
 * `memory.db`'s `memory_history` table: every version of a `versioned` entry, written by a trigger
 * on `shared_memory` in the writing transaction (the current version included), deleted with the
 * entry, pruned to the store's `history.maxVersions`.
 */
export const memoryHistory = sqliteTable(
  'memory_history',
  {
    namespace: text('namespace').notNull(),
    key: text('key').notNull(),
    version: integer('version').notNull(),
    value: text('value').notNull(),
    metadata: text('metadata'),
    dataType: text('data_type').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.key, t.version] })],
);
