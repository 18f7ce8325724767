/**
 * The SQL of locks, the change feed and version history (tables of `@hivedb/schema`'s memory
 * migrations 0001 and 0002). Constants only: every input is a bound parameter.
 */

/**
 * Params: namespace, key, holder, acquiredAt (now), expiresAt. Takes the lock when it is free,
 * released, expired at `now`, or already this holder's; the token moves on every acquisition, so
 * it strictly increases per key across every process. No row: another holder has it.
 */
export const LOCK_ACQUIRE = `INSERT INTO memory_locks (namespace, key, holder, token, acquired_at, expires_at)
  VALUES (?, ?, ?, 1, ?, ?)
  ON CONFLICT (namespace, key) DO UPDATE SET
    holder = excluded.holder,
    token = memory_locks.token + 1,
    acquired_at = excluded.acquired_at,
    expires_at = excluded.expires_at
  WHERE memory_locks.holder IS NULL OR memory_locks.expires_at <= excluded.acquired_at
    OR memory_locks.holder = excluded.holder
  RETURNING token, expires_at AS expiresAt`;

/** Params: namespace, key. */
export const LOCK_PROBE = `SELECT holder, token, expires_at AS expiresAt FROM memory_locks
  WHERE namespace = ? AND key = ?`;

/** Params: now, namespace, key, holder, now. Releases a live lock of this holder; the row (and its token) stays. */
export const LOCK_RELEASE = `UPDATE memory_locks SET holder = NULL, expires_at = ?
  WHERE namespace = ? AND key = ? AND holder = ? AND expires_at > ? RETURNING token`;

/** Params: new expiresAt, namespace, key, holder, now. */
export const LOCK_RENEW = `UPDATE memory_locks SET expires_at = ?
  WHERE namespace = ? AND key = ? AND holder = ? AND expires_at > ?
  RETURNING token, expires_at AS expiresAt`;

const CHANGE_COLUMNS = 'seq, namespace, key, op, version, at';

/** Params: after (seq), limit. The log in commit order. */
export const CHANGES_AFTER = `SELECT ${CHANGE_COLUMNS} FROM memory_changes WHERE seq > ?
  ORDER BY seq LIMIT ?`;

/** The newest sequence number ever issued (AUTOINCREMENT's counter: survives pruning). */
export const HEAD_SEQ = `SELECT coalesce(
  (SELECT seq FROM sqlite_sequence WHERE name = 'memory_changes'),
  (SELECT max(seq) FROM memory_changes), 0) AS seq`;

/** The oldest change still in the log, `null` when it is empty. */
export const OLDEST_SEQ = 'SELECT min(seq) AS seq FROM memory_changes';

/** Params: before (ms), limit. Prunes by age, a bounded batch at a time, through idx_memory_changes_at. */
export const PRUNE_CHANGES_AGE = `DELETE FROM memory_changes WHERE seq IN (
  SELECT seq FROM memory_changes WHERE at < ? LIMIT ?)`;

/** Params: keep (entries), limit. Prunes by count: keeps the newest `keep` sequence numbers. */
export const PRUNE_CHANGES_COUNT = `DELETE FROM memory_changes WHERE seq IN (
  SELECT seq FROM memory_changes
  WHERE seq <= (SELECT max(seq) FROM memory_changes) - ? ORDER BY seq LIMIT ?)`;

/** The sweep's transaction: deletes logged as `expire` until `EXPIRE_CONTEXT_END`. */
export const EXPIRE_CONTEXT_BEGIN = `INSERT OR REPLACE INTO memory_change_context (id, delete_op)
  VALUES (1, 'expire')`;
export const EXPIRE_CONTEXT_END = 'DELETE FROM memory_change_context';

const HISTORY_COLUMNS = `version, value, metadata, data_type AS dataType, updated_at AS updatedAt`;

// An expired entry not swept yet has no history to show, as it has no value.
const ENTRY_LIVE = `EXISTS (SELECT 1 FROM shared_memory WHERE namespace = ? AND key = ?
  AND (expires_at IS NULL OR expires_at > ?))`;
const WITHIN_RETENTION = `version > (SELECT max(version) FROM memory_history
  WHERE namespace = ? AND key = ?) - ?`;

/** Params: namespace, key, version, namespace, key, keep, namespace, key, now. One version, if kept. */
export const HISTORY_VERSION = `SELECT ${HISTORY_COLUMNS} FROM memory_history
  WHERE namespace = ? AND key = ? AND version = ? AND ${WITHIN_RETENTION} AND ${ENTRY_LIVE}`;

/** Params: namespace, key, namespace, key, keep, namespace, key, now, limit. Newest first, within retention. */
export const HISTORY_LIST = `SELECT ${HISTORY_COLUMNS} FROM memory_history
  WHERE namespace = ? AND key = ? AND ${WITHIN_RETENTION} AND ${ENTRY_LIVE}
  ORDER BY version DESC LIMIT ?`;

/** Params: keep. Drops versions older than the newest `keep` of each entry. */
export const PRUNE_HISTORY = `DELETE FROM memory_history AS h WHERE version <= (
  SELECT max(version) FROM memory_history WHERE namespace = h.namespace AND key = h.key) - ?`;

/** Params: before (ms), keep. Whether pruning has anything to do (a DELETE of nothing still commits). */
export const PRUNE_NEEDED = `SELECT
  EXISTS (SELECT 1 FROM memory_changes WHERE at < ?) AS byAge,
  coalesce((SELECT max(seq) - min(seq) + 1 FROM memory_changes), 0) > ? AS byCount`;

/** Params: keep. Whether some entry keeps more than `keep` versions. */
export const PRUNE_HISTORY_NEEDED = `SELECT 1 AS found FROM memory_history AS h WHERE version <= (
  SELECT max(version) FROM memory_history WHERE namespace = h.namespace AND key = h.key) - ? LIMIT 1`;
