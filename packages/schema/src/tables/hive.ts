import { sql } from 'drizzle-orm';
import {
  check,
  customType,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
} from 'drizzle-orm/sqlite-core';

/**
 * The seed's `BOOLEAN` column type, kept as declared (NUMERIC affinity, stored as 0 or 1) so that
 * a `hive.db` created by the seed's implementation has exactly the columns these definitions
 * name. Reads come back as `true`/`false`.
 */
const boolean = customType<{ data: boolean; driverData: number }>({
  dataType: () => 'BOOLEAN',
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => Boolean(value),
});

/**
 * `hive.db`'s `agent_memory` table: which agent read, wrote or deleted which key, when, and how
 * long it took (the seed's access log; its column CHECK is named `chk_access_type` here).
 *
 * @example
 * drizzle(raw).insert(agentMemory).values({ agentId: 'a1', memoryKey: 'k', accessType: 'read', timestamp: Date.now() }).run();
 */
export const agentMemory = sqliteTable(
  'agent_memory',
  {
    agentId: text('agent_id').notNull(),
    memoryKey: text('memory_key').notNull(),
    accessType: text('access_type', { enum: ['read', 'write', 'delete'] }).notNull(),
    timestamp: integer('timestamp').notNull(),
    durationMs: integer('duration_ms').default(0),
    success: boolean('success').default(sql`1`),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.memoryKey, t.timestamp] }),
    check('chk_access_type', sql`${t.accessType} IN ('read', 'write', 'delete')`),
  ],
);

/**
 * `hive.db`'s `query_performance` table: one row per query sample the monitor persists
 * (the seed's performance tracking table).
 */
export const queryPerformance = sqliteTable('query_performance', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  queryType: text('query_type').notNull(),
  executionTimeMs: real('execution_time_ms').notNull(),
  memoryKey: text('memory_key'),
  agentId: text('agent_id'),
  timestamp: integer('timestamp').notNull(),
  rowsAffected: integer('rows_affected').default(0),
  cacheHit: boolean('cache_hit').default(sql`0`),
});
