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
