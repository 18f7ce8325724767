import path from 'node:path';
import type { Pool } from '@hivedb/pool';
import type {
  AccessLogRecord,
  AccessRecord,
  BatchOp,
  BatchOutcome,
  ChangeRow,
  CheckSpec,
  EntryRow,
  HistoryRow,
  IncrementOutcome,
  KeyRange,
  ListedRow,
  NamespaceUsage,
  QuietWrite,
  RemoveOutcome,
  RemoveSpec,
  StoreBackend,
  WriteOutcome,
  WriteSpec,
} from './backend.js';
import * as F from './feed-sql.js';
import * as SQL from './sql.js';
import * as feed from './sqlite-feed.js';
import {
  checkpointQuickly,
  type Probe,
  removed,
  removeRefusal,
  removeStatement,
  runBatch,
  writeIn,
  writeRefusal,
  writeStatement,
} from './sqlite-statements.js';
import type { DataType, PoolView } from './types.js';
import { SqliteTransfer } from './sqlite-transfer.js';

/**
 * The store's backend on SQLite: `memory.db`'s pool and `hive.db`'s (`null` for a readonly
 * store, which never opens it). Made by `openSqliteBackend`.
 */
export class SqliteBackend implements StoreBackend {
  readonly files: { readonly memory: string; readonly hive: string };
  readonly transfer: SqliteTransfer;
  readonly pools: { readonly memory: PoolView; readonly hive: PoolView | null };
  readonly #memory: Pool;
  readonly #hive: Pool | null;

  constructor(memory: Pool, hive: Pool | null) {
    this.#memory = memory;
    this.#hive = hive;
    this.files = {
      memory: memory.filename,
      hive: hive?.filename ?? path.join(path.dirname(memory.filename), 'hive.db'),
    };
    this.transfer = new SqliteTransfer(memory);
    this.pools = {
      memory: { events: memory.events, stats: () => memory.stats() },
      hive: hive === null ? null : { events: hive.events, stats: () => hive.stats() },
    };
  }

  generation(): number | undefined {
    return this.#memory.generation();
  }

  read(namespace: string, key: string): Promise<EntryRow | undefined> {
    return this.#memory.get<EntryRow>(SQL.READ, [namespace, key]);
  }

  write(spec: WriteSpec): Promise<WriteOutcome> {
    // A fenced write checks the key's lock in its own transaction (not the hot path).
    if (spec.fence !== undefined) return this.#memory.transaction((tx) => writeIn(tx, spec));
    const [sql, params] = writeStatement(spec);
    // One statement, so concurrent writes of this process share a group commit. The common
    // case settles in one step; everything else takes the slow path.
    return this.#memory
      .get<{ version: number }>(sql, params)
      .then((row) =>
        row !== undefined
          ? { ok: true as const, version: row.version, created: row.version === spec.baseVersion }
          : this.#writeSlow(spec, sql, params),
      );
  }

  /**
   * A write the first statement did not make: an upsert the common statement left to the full
   * one, or a refusal, explained by a probe after it. If another process changed the entry in
   * between, the probe may not explain it, and the write is tried again.
   */
  async #writeSlow(spec: WriteSpec, sql: string, params: unknown[]): Promise<WriteOutcome> {
    for (let attempt = 0; ; attempt++) {
      let row =
        attempt === 0 ? undefined : await this.#memory.get<{ version: number }>(sql, params);
      if (row === undefined && spec.mode === 'upsert')
        row = await this.#memory.get<{ version: number }>(SQL.UPSERT, params);
      if (row !== undefined)
        return { ok: true, version: row.version, created: row.version === spec.baseVersion };
      const probe = await this.#memory.get<Probe>(SQL.PROBE, [spec.namespace, spec.key]);
      const refusal = writeRefusal(spec, probe);
      if (refusal !== undefined) return refusal;
      if (attempt >= 3) return { ok: false, reason: 'version', current: probe?.version ?? null };
    }
  }

  writeMany(
    specs: readonly WriteSpec[],
    versions: boolean,
  ): Promise<(WriteOutcome | QuietWrite)[]> {
    return this.#memory.transaction((tx) =>
      specs.map((s): WriteOutcome | QuietWrite => {
        if (!versions && s.mode === 'upsert' && s.fence === undefined) {
          const [, params] = writeStatement(s);
          if (tx.run(SQL.UPSERT_SAME_QUIET, params).changes === 1)
            return { ok: true, version: null, created: null };
        }
        return writeIn(tx, s);
      }),
    );
  }

  async remove(spec: RemoveSpec): Promise<RemoveOutcome> {
    const [sql, params] = removeStatement(spec);
    const row = await this.#memory.get<{ expiresAt?: number | null; version: number }>(sql, params);
    if (row !== undefined) return removed(spec, row);
    return removeRefusal(
      spec,
      await this.#memory.get<Probe>(SQL.PROBE, [spec.namespace, spec.key]),
    );
  }

  async increment(
    namespace: string,
    key: string,
    by: number,
    opts: {
      readonly dataType: DataType;
      readonly now: number;
      readonly expiresAt: number | null;
      readonly setExpiry: boolean;
      readonly baseVersion: number;
    },
  ): Promise<IncrementOutcome> {
    const text = String(by);
    const row = await this.#memory.get<{ value: string; version: number }>(SQL.INCREMENT, [
      namespace,
      key,
      opts.dataType,
      text,
      null,
      opts.baseVersion,
      opts.now,
      opts.now,
      opts.expiresAt,
      text.length,
      by,
      opts.setExpiry ? 1 : 0,
      by,
      by,
    ]);
    if (row !== undefined)
      return {
        ok: true,
        value: Number(row.value),
        version: row.version,
        created: row.version === opts.baseVersion,
      };
    const probe = await this.#memory.get<Probe>(SQL.PROBE, [namespace, key]);
    return { ok: false, reason: 'not-a-number', current: probe?.value ?? 'nothing' };
  }

  async touch(namespace: string, key: string, expiresAt: number | null, now: number) {
    const row = await this.#memory.get(SQL.TOUCH, [expiresAt, namespace, key, now]);
    return row !== undefined;
  }

  batch(checks: readonly CheckSpec[], ops: readonly BatchOp[], now: number): Promise<BatchOutcome> {
    return runBatch(this.#memory, checks, ops, now);
  }

  list(
    namespace: string,
    range: KeyRange,
    after: string | null,
    reverse: boolean,
    limit: number,
    now: number,
  ): Promise<ListedRow[]> {
    const params: unknown[] = [namespace, range.lower];
    if (range.upper !== null) params.push(range.upper);
    if (after !== null) params.push(after);
    params.push(now, limit);
    return this.#memory.all<ListedRow>(
      SQL.listSql(range.upper !== null, after !== null, reverse),
      params,
    );
  }

  async count(namespace: string, range: KeyRange, now: number): Promise<number> {
    const params: unknown[] = [namespace, range.lower];
    if (range.upper !== null) params.push(range.upper);
    params.push(now);
    const row = await this.#memory.get<{ n: number }>(SQL.countSql(range.upper !== null), params);
    return row?.n ?? 0;
  }

  keys(namespace: string | undefined, dataType: DataType | undefined, now: number) {
    const params: unknown[] = [now];
    if (namespace !== undefined) params.push(namespace);
    if (dataType !== undefined) params.push(dataType);
    return this.#memory.all<{ namespace: string; key: string }>(
      SQL.keysSql(namespace !== undefined, dataType !== undefined),
      params,
    );
  }

  clear(namespace: string | undefined, now: number): Promise<number> {
    return this.#memory.transaction((tx) => {
      if (namespace === undefined) {
        const n = tx.get<{ n: number }>(SQL.CLEAR_COUNT_ALL, [now])!.n;
        tx.run(SQL.CLEAR_ALL);
        return n;
      }
      const n = tx.get<{ n: number }>(SQL.CLEAR_COUNT_NS, [now, namespace])!.n;
      tx.run(SQL.CLEAR_NS, [namespace]);
      return n;
    });
  }

  async sweep(now: number, limit: number) {
    // A read first: a DELETE that finds nothing would still be a commit, and every commit
    // moves the generation that every cache validates against.
    if ((await this.#memory.get(SQL.ANY_EXPIRED, [now])) === undefined) return [];
    // The change log records these deletes as `expire` (memory_change_context, see feed-sql.ts).
    return this.#memory.transaction((tx) => {
      tx.run(F.EXPIRE_CONTEXT_BEGIN);
      const gone = tx.all<{ namespace: string; key: string; version: number }>(SQL.SWEEP, [
        now,
        limit,
      ]);
      tx.run(F.EXPIRE_CONTEXT_END);
      return gone;
    });
  }

  usage(now: number): Promise<NamespaceUsage[]> {
    return this.#memory.all<NamespaceUsage>(SQL.USAGE, [now]);
  }

  recordAccess(access: readonly AccessRecord[]): Promise<void> {
    return this.#memory.transaction((tx) => {
      for (const a of access) tx.run(SQL.RECORD_ACCESS, [a.count, a.last, a.namespace, a.key]);
    });
  }

  appendLog(log: readonly AccessLogRecord[]): Promise<void> {
    // A readonly store buffers no access log (its access buffer is off).
    if (this.#hive === null) return Promise.resolve();
    return this.#hive.transaction((tx) => {
      for (const r of log)
        tx.run(SQL.LOG_ACCESS, [
          r.agentId,
          r.memoryKey,
          r.accessType,
          r.timestamp,
          Math.round(r.durationMs),
          r.success ? 1 : 0,
        ]);
    });
  }

  acquireLock(namespace: string, key: string, holder: string, now: number, expiresAt: number) {
    return feed.acquireLock(this.#memory, namespace, key, holder, now, expiresAt);
  }

  releaseLock(namespace: string, key: string, holder: string, now: number) {
    return feed.releaseLock(this.#memory, namespace, key, holder, now);
  }

  renewLock(namespace: string, key: string, holder: string, now: number, expiresAt: number) {
    return feed.renewLock(this.#memory, namespace, key, holder, now, expiresAt);
  }

  changes(after: number, limit: number) {
    return this.#memory.all<ChangeRow>(F.CHANGES_AFTER, [after, limit]);
  }

  headSeq() {
    return feed.headSeq(this.#memory);
  }

  async oldestSeq() {
    return (await this.#memory.get<{ seq: number | null }>(F.OLDEST_SEQ))?.seq ?? null;
  }

  pruneChanges(before: number, keep: number) {
    return feed.pruneChanges(this.#memory, before, keep);
  }

  history(namespace: string, key: string, keep: number, limit: number, now: number) {
    return this.#memory.all<HistoryRow>(F.HISTORY_LIST, [
      namespace,
      key,
      namespace,
      key,
      keep,
      namespace,
      key,
      now,
      limit,
    ]);
  }

  historyVersion(namespace: string, key: string, version: number, keep: number, now: number) {
    return this.#memory.get<HistoryRow>(F.HISTORY_VERSION, [
      namespace,
      key,
      version,
      namespace,
      key,
      keep,
      namespace,
      key,
      now,
    ]);
  }

  pruneHistory(keep: number) {
    return feed.pruneHistory(this.#memory, keep);
  }

  /** `wal_checkpoint(TRUNCATE)` on both databases (see `checkpointQuickly`); none for a readonly store. */
  async checkpoint(): Promise<void> {
    if (this.#hive === null) return;
    for (const pool of [this.#memory, this.#hive]) await checkpointQuickly(pool);
  }

  async close(): Promise<void> {
    await Promise.all([this.#memory.close(), this.#hive?.close()]);
  }
}
