/**
 * Every SQL text the SQLite backend runs. Each is a constant (or one of a fixed set of variants
 * built here from constant fragments), so the pool prepares it once per connection, and nothing
 * from input ever becomes SQL: keys, values and bounds are always bound parameters.
 */

/** Columns of an entry as `EntryRow` names them. */
const ENTRY_COLUMNS = `value, data_type AS dataType, coalesce(version, 1) AS version,
  expires_at AS expiresAt, metadata, created_at AS createdAt, updated_at AS updatedAt,
  coalesce(size_bytes, 0) AS size, coalesce(access_count, 0) AS accessCount,
  last_accessed AS lastAccessed`;

/** Params: namespace, key. */
export const READ = `SELECT ${ENTRY_COLUMNS} FROM shared_memory WHERE namespace = ? AND key = ?`;

/** Params: namespace, key. What a refused write needs to say why. */
export const PROBE = `SELECT coalesce(version, 1) AS version, data_type AS dataType,
  expires_at AS expiresAt, value FROM shared_memory WHERE namespace = ? AND key = ?`;

// Inside ON CONFLICT … DO UPDATE, `excluded.updated_at` is the write's `now`.
const EXPIRED = `(shared_memory.expires_at IS NOT NULL AND shared_memory.expires_at <= excluded.updated_at)`;

const INSERT_ENTRY = `INSERT INTO shared_memory (namespace, key, data_type, value, metadata,
  version, created_at, updated_at, expires_at, size_bytes, access_count, last_accessed)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)`;

// An expired row still on disk (not swept yet) counts as absent: it is replaced as if new.
const REPLACE_ENTRY = `ON CONFLICT (namespace, key) DO UPDATE SET
  data_type = excluded.data_type,
  value = excluded.value,
  metadata = excluded.metadata,
  version = CASE WHEN ${EXPIRED} THEN excluded.version ELSE coalesce(shared_memory.version, 1) + 1 END,
  created_at = CASE WHEN ${EXPIRED} THEN excluded.created_at ELSE shared_memory.created_at END,
  updated_at = CASE WHEN ${EXPIRED} THEN excluded.updated_at
    ELSE max(excluded.updated_at, shared_memory.created_at) END,
  expires_at = excluded.expires_at,
  size_bytes = excluded.size_bytes,
  access_count = CASE WHEN ${EXPIRED} THEN 0 ELSE shared_memory.access_count END,
  last_accessed = CASE WHEN ${EXPIRED} THEN NULL ELSE shared_memory.last_accessed END`;

/**
 * Params: namespace, key, dataType, value, metadata, baseVersion, now (created), now (updated),
 * expiresAt, size, guarded (0/1). A live `locked` row is left alone unless guarded.
 */
export const UPSERT = `${INSERT_ENTRY} ${REPLACE_ENTRY}
  WHERE shared_memory.data_type <> 'locked' OR ? OR ${EXPIRED}
  RETURNING version`;

// The SET of the common case: a live entry of the same data type.
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

/**
 * The common case of `UPSERT` (same params): a new entry, or a live one of the same data type.
 * It leaves `data_type`, `created_at` and the access columns out of its SET, so that SQLite does
 * not rewrite the entries of the indexes on them (measured: ~35% of a batched upsert). When it
 * changes nothing (another type, an expired row, a locked one), `UPSERT` decides.
 */
export const UPSERT_SAME = `${INSERT_ENTRY} ${SAME_TYPE_UPDATE} RETURNING version`;

/**
 * `UPSERT_SAME` without RETURNING, for `setBulk()` when no one needs the versions: RETURNING
 * costs ~1.4 µs a row through the pool (measured), a third of a batched upsert. It wrote the
 * row iff `changes()` is 1.
 */
export const UPSERT_SAME_QUIET = `${INSERT_ENTRY} ${SAME_TYPE_UPDATE}`;

/** Params as `UPSERT` without `guarded`: writes only where no live entry is. */
export const CREATE = `${INSERT_ENTRY} ${REPLACE_ENTRY}
  WHERE ${EXPIRED}
  RETURNING version`;

/** Params: dataType, value, metadata, now, expiresAt, size, namespace, key, expected version, now. */
export const CAS = `UPDATE shared_memory SET data_type = ?, value = ?, metadata = ?,
  version = coalesce(version, 1) + 1, updated_at = max(?, created_at), expires_at = ?,
  size_bytes = ?
  WHERE namespace = ? AND key = ? AND coalesce(version, 1) = ? AND (expires_at IS NULL OR expires_at > ?)
  RETURNING version`;

/** Params: namespace, key, guarded (0/1), now. */
export const REMOVE = `DELETE FROM shared_memory WHERE namespace = ? AND key = ?
  AND (data_type <> 'locked' OR ? OR (expires_at IS NOT NULL AND expires_at <= ?))
  RETURNING expires_at AS expiresAt, coalesce(version, 1) AS version`;

/** Params: namespace, key, expected version, now. */
export const REMOVE_CAS = `DELETE FROM shared_memory WHERE namespace = ? AND key = ? AND coalesce(version, 1) = ?
  AND (expires_at IS NULL OR expires_at > ?) RETURNING version`;

// better-sqlite3 binds every JS number as a REAL: the step is cast back, or 10 + 1 reads "11.0".
const NEW_COUNT = `CAST(CAST(shared_memory.value AS INTEGER) + CAST(? AS INTEGER) AS TEXT)`;

/**
 * Params: namespace, key, dataType, by (as JSON text), null (metadata), baseVersion, now, now, expiresAt,
 * size of by's text, by, setExpiry (0/1), by, by. An integer counter stays within
 * ±Number.MAX_SAFE_INTEGER; anything else is left alone (no row returned).
 */
export const INCREMENT = `${INSERT_ENTRY}
  ON CONFLICT (namespace, key) DO UPDATE SET
  value = CASE WHEN ${EXPIRED} THEN excluded.value ELSE ${NEW_COUNT} END,
  data_type = CASE WHEN ${EXPIRED} THEN excluded.data_type ELSE shared_memory.data_type END,
  metadata = CASE WHEN ${EXPIRED} THEN NULL ELSE shared_memory.metadata END,
  version = CASE WHEN ${EXPIRED} THEN excluded.version ELSE coalesce(shared_memory.version, 1) + 1 END,
  created_at = CASE WHEN ${EXPIRED} THEN excluded.created_at ELSE shared_memory.created_at END,
  updated_at = CASE WHEN ${EXPIRED} THEN excluded.updated_at
    ELSE max(excluded.updated_at, shared_memory.created_at) END,
  expires_at = CASE WHEN ? OR ${EXPIRED} THEN excluded.expires_at ELSE shared_memory.expires_at END,
  size_bytes = length(CASE WHEN ${EXPIRED} THEN excluded.value ELSE ${NEW_COUNT} END),
  access_count = CASE WHEN ${EXPIRED} THEN 0 ELSE shared_memory.access_count END,
  last_accessed = CASE WHEN ${EXPIRED} THEN NULL ELSE shared_memory.last_accessed END
  WHERE ${EXPIRED} OR (json_valid(shared_memory.value)
    AND json_type(shared_memory.value) = 'integer'
    AND abs(CAST(shared_memory.value AS INTEGER) + CAST(? AS INTEGER)) <= 9007199254740991)
  RETURNING value, version`;

/** Params: expiresAt, namespace, key, now. */
export const TOUCH = `UPDATE shared_memory SET expires_at = ?
  WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?) RETURNING version`;

const LIVE = `(expires_at IS NULL OR expires_at > ?)`;

const listVariants = new Map<string, string>();

/**
 * Keyset pagination over the primary key (namespace, key). Params, in order: namespace, lower,
 * [upper], [after], now, limit.
 */
export function listSql(hasUpper: boolean, hasAfter: boolean, reverse: boolean): string {
  const id = `${+hasUpper}${+hasAfter}${+reverse}`;
  let sql = listVariants.get(id);
  if (sql === undefined) {
    sql = `SELECT key, value, data_type AS dataType, coalesce(version, 1) AS version,
      created_at AS createdAt, updated_at AS updatedAt, expires_at AS expiresAt
      FROM shared_memory WHERE namespace = ? AND key >= ?
      ${hasUpper ? 'AND key < ?' : ''}
      ${hasAfter ? (reverse ? 'AND key < ?' : 'AND key > ?') : ''}
      AND ${LIVE}
      ORDER BY key ${reverse ? 'DESC' : 'ASC'} LIMIT ?`;
    listVariants.set(id, sql);
  }
  return sql;
}

/** Params: namespace, lower, [upper], now. */
export function countSql(hasUpper: boolean): string {
  return hasUpper ? COUNT_UPPER : COUNT;
}
const COUNT = `SELECT count(*) AS n FROM shared_memory WHERE namespace = ? AND key >= ? AND ${LIVE}`;
const COUNT_UPPER = `SELECT count(*) AS n FROM shared_memory
  WHERE namespace = ? AND key >= ? AND key < ? AND ${LIVE}`;

/** Params: now, [namespace], [dataType]. */
export function keysSql(hasNamespace: boolean, hasDataType: boolean): string {
  return `SELECT namespace, key FROM shared_memory WHERE ${LIVE}
    ${hasNamespace ? 'AND namespace = ?' : ''} ${hasDataType ? 'AND data_type = ?' : ''}
    ORDER BY namespace, key`;
}

/** Params: now. Live entries and bytes per namespace. */
export const USAGE = `SELECT namespace, count(*) AS entries, coalesce(sum(size_bytes), 0) AS bytes
  FROM shared_memory WHERE ${LIVE} GROUP BY namespace ORDER BY namespace`;

/** Params: now, [namespace]. Live entries a clear would delete. */
export const CLEAR_COUNT_ALL = `SELECT count(*) AS n FROM shared_memory WHERE ${LIVE}`;
export const CLEAR_COUNT_NS = `SELECT count(*) AS n FROM shared_memory WHERE ${LIVE} AND namespace = ?`;
export const CLEAR_ALL = 'DELETE FROM shared_memory';
export const CLEAR_NS = 'DELETE FROM shared_memory WHERE namespace = ?';

// `expires_at IS NOT NULL` is spelled out so that the planner takes the partial index
// idx_expires_at_not_null (its WHERE clause), not a scan.
/** Params: now. */
export const ANY_EXPIRED = `SELECT 1 AS found FROM shared_memory
  WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1`;
/** Params: now, limit. */
export const SWEEP = `DELETE FROM shared_memory WHERE rowid IN (
  SELECT rowid FROM shared_memory WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)
  RETURNING namespace, key, coalesce(version, 1) AS version`;

/** Params: count, last, namespace, key. */
export const RECORD_ACCESS = `UPDATE shared_memory SET
  access_count = coalesce(access_count, 0) + ?,
  last_accessed = max(coalesce(last_accessed, 0), ?)
  WHERE namespace = ? AND key = ?`;

/** Params: agentId, memoryKey, accessType, timestamp, durationMs, success (0/1). */
export const LOG_ACCESS = `INSERT OR IGNORE INTO agent_memory
  (agent_id, memory_key, access_type, timestamp, duration_ms, success) VALUES (?, ?, ?, ?, ?, ?)`;
