// The store's own SQL (packages/store/src/sql.ts) for the bare twins, and the pragmas the store
// gives its writer: shared by the in-process store cases, the scaling cases and the children of
// the multi-process and memory runs, so that every bare twin runs the store's statements.
import { createPool, DEFAULT_POOL_OPTIONS } from '@hivedb/pool';
import { readPragmas } from './data.mjs';

export const INSERT_ENTRY = `INSERT INTO shared_memory (namespace, key, data_type, value, metadata,
  version, created_at, updated_at, expires_at, size_bytes, access_count, last_accessed)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)`;
const EXPIRED = `(shared_memory.expires_at IS NOT NULL AND shared_memory.expires_at <= excluded.updated_at)`;
const SAME_TYPE_UPDATE = `ON CONFLICT (namespace, key) DO UPDATE SET
  value = excluded.value,
  metadata = excluded.metadata,
  version = coalesce(shared_memory.version, 1) + 1,
  updated_at = max(excluded.updated_at, shared_memory.created_at),
  expires_at = excluded.expires_at,
  size_bytes = excluded.size_bytes
  WHERE shared_memory.data_type = excluded.data_type
    AND (shared_memory.data_type <> 'locked' OR ?)
    AND NOT ${EXPIRED}`;
/** `set`'s statement (UPSERT_SAME): the new version comes back. */
export const UPSERT_SQL = `${INSERT_ENTRY} ${SAME_TYPE_UPDATE} RETURNING version`;
/** `setBulk`'s statement (UPSERT_SAME_QUIET): no RETURNING. */
export const UPSERT_QUIET_SQL = `${INSERT_ENTRY} ${SAME_TYPE_UPDATE}`;
/** A plain read of the value, what a user of bare better-sqlite3 would write. */
export const READ_SQL = 'SELECT value FROM shared_memory WHERE namespace = ? AND key = ?';
/** `delete`'s statement (REMOVE) without the `locked` guard's parameters. */
export const DELETE_SQL = `DELETE FROM shared_memory WHERE namespace = ? AND key = ?
  RETURNING coalesce(version, 1) AS version`;
/** A counter a user would write: created at `by`, or added to in SQL. Params: ns, key, by, now, now. */
export const COUNTER_SQL = `INSERT INTO shared_memory (namespace, key, data_type, value, version,
  created_at, updated_at, size_bytes) VALUES (?, ?, 'persistent', CAST(? AS TEXT), 1, ?, ?, 1)
  ON CONFLICT (namespace, key) DO UPDATE SET
  value = CAST(CAST(shared_memory.value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT),
  version = coalesce(shared_memory.version, 1) + 1, updated_at = excluded.updated_at
  RETURNING value`;
export const INCREMENT_SQL = `UPDATE shared_memory SET value = value + 1, version = version + 1,
  updated_at = ? WHERE namespace = ? AND key = ? RETURNING value`;
/** A keyset page by prefix. Params: ns, prefix, upper bound, now. */
export const listSql = (limit) => `SELECT key, value FROM shared_memory WHERE namespace = ?
  AND key >= ? AND key < ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ${limit}`;

/** The exclusive upper bound of the keys that start with `prefix`. */
export const upperOf = (prefix) =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

/** The parameters of UPSERT_SQL / UPSERT_QUIET_SQL for a persistent entry with no TTL. */
export const upsertParams = (ns, key, json, now) => [
  ns,
  key,
  'persistent',
  json,
  null,
  1,
  now,
  now,
  null,
  json.length,
  0,
];

/** The pragmas the store's pool gives its writer: a pool opened with the store's pool options. */
export async function storeWriterPragmas(root) {
  const probe = createPool({ filename: 'memory.db', root });
  try {
    const lease = await probe.acquire({ mode: 'write' });
    try {
      // The pool installs the query-interrupt extension's busy handler, after which SQLite reports
      // `PRAGMA busy_timeout` as 0; the bare twin waits as long, with SQLite's own handler.
      return { ...readPragmas(lease.raw), busy_timeout: DEFAULT_POOL_OPTIONS.busyTimeout };
    } finally {
      lease.release();
    }
  } finally {
    await probe.close();
  }
}

/** Stops the run when two connections differ in a pragma that changes timings. */
export function checkPragmas(label, a, b) {
  for (const key of ['journal_mode', 'synchronous', 'cache_size', 'mmap_size', 'temp_store']) {
    if (String(a[key]).toLowerCase() !== String(b[key]).toLowerCase()) {
      throw new Error(`pragma ${key} differs: ${label} ${a[key]}, store ${b[key]}`);
    }
  }
}

/** About 150 bytes of JSON: an agent's small record; `id` is the key's index, so reads check it. */
export const entryValue = (id, step, notes) => ({
  id,
  agent: `agent-${step % 8}`,
  step,
  note: notes[(id + step) & (notes.length - 1)].slice(0, 60),
  tags: ['plan', 'code'],
  done: (step & 1) === 1,
});

const squash = (sql) => sql.replace(/\s+/g, ' ').trim();

/**
 * Throws unless the store runs, for `set` and `setBulk`, exactly the statements the bare twins
 * copy here (seen through the store's own pool events): a store whose SQL moved on would
 * otherwise be compared with a twin that no longer does its work.
 */
export async function assertStoreSql(store, namespace) {
  const seen = new Set();
  const memory = store.pools().memory;
  const onQuery = (e) => seen.add(squash(e.sql));
  memory.events.on('query', onQuery);
  try {
    await store.set('__bench_sql_check__', 1, { namespace });
    await store.set('__bench_sql_check__', 2, { namespace });
    await store.setBulk([{ key: '__bench_sql_check__', value: 3, options: { namespace } }]);
    await store.delete('__bench_sql_check__', { namespace });
  } finally {
    memory.events.off('query', onQuery);
  }
  for (const [name, sql] of [
    ['UPSERT_SQL (set)', UPSERT_SQL],
    ['UPSERT_QUIET_SQL (setBulk)', UPSERT_QUIET_SQL],
  ]) {
    if (!seen.has(squash(sql)))
      throw new Error(
        `bench/src/store-sql.mjs ${name} is not a statement the store runs any more: copy it again from packages/store/src/sql.ts`,
      );
  }
}
