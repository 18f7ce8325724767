import { performance } from 'node:perf_hooks';
import { createPool, type Pool } from '@hivedb/pool';
import { Migrator, queryPerformance } from '@hivedb/schema';
import { getTableName } from 'drizzle-orm';
import { OWN_SQL_MARK } from './collector.js';
import { MonitorError } from './errors.js';
import type { ResolvedPersistenceOptions } from './options.js';

/** One row of `query_performance`. */
export interface PersistedSample {
  /** The operation (`SELECT`, …; `SELECT:error` when it failed; `store.get`, … for store operations). */
  readonly queryType: string;
  readonly executionTimeMs: number;
  readonly memoryKey: string | null;
  readonly agentId: string | null;
  /** ms since the epoch, from the monitor's clock. */
  readonly timestamp: number;
  readonly rowsAffected: number;
  readonly cacheHit: boolean;
}

/** What the writer has done. */
export interface PersistenceStats {
  readonly pending: number;
  readonly written: number;
  /** Samples dropped because `maxPending` were already waiting (hive.db could not be written). */
  readonly dropped: number;
  readonly pruned: number;
  readonly lastFlushAt: number | undefined;
  readonly lastError: string | undefined;
}

const t = queryPerformance;
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
// Built from @hivedb/schema's table definition, so a renamed column fails here, not in production.
// (Cast: pnpm may give this package its own copy of drizzle-orm's types; the name lookup is the same.)
const TABLE = q(getTableName(t as unknown as Parameters<typeof getTableName>[0]));
const INSERT_SQL = `${OWN_SQL_MARK}INSERT INTO ${TABLE} (${[
  t.queryType,
  t.executionTimeMs,
  t.memoryKey,
  t.agentId,
  t.timestamp,
  t.rowsAffected,
  t.cacheHit,
]
  .map((c) => q(c.name))
  .join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?)`;
const PRUNE_BATCH = 5000;
const PRUNE_SQL = `${OWN_SQL_MARK}DELETE FROM ${TABLE} WHERE ${q(t.id.name)} IN (SELECT ${q(t.id.name)} FROM ${TABLE} WHERE ${q(t.timestamp.name)} < ? LIMIT ${PRUNE_BATCH})`;

/**
 * Writes samples to `hive.db`'s `query_performance` in batches: one transaction per flush, at
 * every `flushIntervalMs` or as soon as `batchSize` samples wait, never one write per query.
 * Its statements carry `OWN_SQL_MARK`, so a monitor attached to the same pool skips them.
 */
export class SampleWriter {
  readonly #opts: ResolvedPersistenceOptions;
  readonly #clock: () => number;
  readonly #onError: (where: string, error: unknown) => void;
  readonly #onFlush: (rows: number, durationMs: number) => void;
  #pool: Pool | null = null;
  #ownPool = false;
  #pending: PersistedSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<number> | undefined;
  #flushQueued = false;
  #written = 0;
  #dropped = 0;
  #pruned = 0;
  #lastFlushAt: number | undefined;
  #lastError: string | undefined;
  #lastPruneAt: number | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  readonly #onOwnTransaction: (pool: Pool, transactionId: number) => void;
  constructor(
    opts: ResolvedPersistenceOptions,
    clock: () => number,
    onError: (where: string, error: unknown) => void,
    onFlush: (rows: number, durationMs: number) => void,
    onOwnTransaction: (pool: Pool, transactionId: number) => void = () => {},
  ) {
    this.#opts = opts;
    this.#clock = clock;
    this.#onError = onError;
    this.#onFlush = onFlush;
    this.#onOwnTransaction = onOwnTransaction;
  }

  /** Opens (or takes) the pool, migrates `hive.db` when asked, starts the flush timer. */
  async open(): Promise<void> {
    const o = this.#opts;
    let pool = o.pool;
    try {
      if (pool === null) {
        pool = createPool({
          filename: o.filename,
          ...(o.root === undefined ? {} : { root: o.root }),
          minConnections: 1,
          maxConnections: 2,
        });
        this.#ownPool = true;
      }
      this.#pool = pool;
      if (o.migrate) await new Migrator(pool, { database: 'hive' }).migrate();
    } catch (cause) {
      if (this.#ownPool && pool !== null) await pool.close().catch(() => undefined);
      this.#pool = null;
      throw new MonitorError(
        'MONITOR_PERSIST_FAILED',
        `could not open hive.db for the monitor's samples: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    this.#timer = setInterval(() => {
      void this.flush();
    }, o.flushIntervalMs);
    this.#timer.unref();
  }

  /** Queues one sample; a full batch is written soon after (never inside the caller's stack). */
  push(sample: PersistedSample): void {
    if (this.#closed) return;
    if (this.#pending.length >= this.#opts.maxPending) {
      this.#pending.shift();
      this.#dropped++;
    }
    this.#pending.push(sample);
    if (this.#pending.length >= this.#opts.batchSize && !this.#flushQueued && this.#pool !== null) {
      this.#flushQueued = true;
      setImmediate(() => {
        this.#flushQueued = false;
        void this.flush();
      }).unref();
    }
  }

  /** Writes every pending sample in one transaction; resolves to the rows written (0 on failure, reported as an error). */
  flush(): Promise<number> {
    if (this.#flushing !== undefined) return this.#flushing.then(() => this.flush());
    if (this.#pool === null || this.#pending.length === 0) return Promise.resolve(0);
    const batch = this.#pending;
    this.#pending = [];
    const pool = this.#pool;
    const started = performance.now();
    this.#flushing = pool
      .transaction((tx) => {
        // Its `transaction` event is the monitor's own work, not the application's.
        this.#onOwnTransaction(pool, tx.id);
        for (const s of batch)
          tx.run(INSERT_SQL, [
            s.queryType,
            s.executionTimeMs,
            s.memoryKey,
            s.agentId,
            Math.round(s.timestamp),
            s.rowsAffected,
            s.cacheHit ? 1 : 0,
          ]);
      })
      .then(
        () => {
          this.#written += batch.length;
          this.#lastFlushAt = this.#clock();
          this.#lastError = undefined;
          this.#onFlush(batch.length, performance.now() - started);
          return batch.length;
        },
        (error: unknown) => {
          // Keep the samples for the next flush, oldest first, within maxPending.
          const keep = batch.concat(this.#pending);
          const over = keep.length - this.#opts.maxPending;
          if (over > 0) this.#dropped += over;
          this.#pending = over > 0 ? keep.slice(over) : keep;
          this.#lastError = error instanceof Error ? error.message : String(error);
          this.#onError('flush', error);
          return 0;
        },
      )
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  /**
   * Deletes rows whose timestamp is older than `retentionMs` before the clock's now, in batches of
   * 5000 (each its own short write). Resolves to the rows deleted.
   */
  async prune(retentionMs: number): Promise<number> {
    const pool = this.#pool;
    if (pool === null) return 0;
    const now = this.#clock();
    const cutoff = now - retentionMs;
    this.#lastPruneAt = now;
    let total = 0;
    for (;;) {
      const { changes } = await pool.run(PRUNE_SQL, [cutoff]);
      total += changes;
      if (changes < PRUNE_BATCH) break;
    }
    this.#pruned += total;
    return total;
  }

  /** Whether `pruneIntervalMs` has passed since the last prune (or none ran yet). */
  pruneDue(now: number): boolean {
    return (
      this.#pool !== null &&
      (this.#lastPruneAt === undefined || now - this.#lastPruneAt >= this.#opts.pruneIntervalMs)
    );
  }

  stats(): PersistenceStats {
    return {
      pending: this.#pending.length,
      written: this.#written,
      dropped: this.#dropped,
      pruned: this.#pruned,
      lastFlushAt: this.#lastFlushAt,
      lastError: this.#lastError,
    };
  }

  /** Stops the timer, writes what is pending, closes the pool if the writer opened it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    this.#closed = true;
    if (this.#ownPool && this.#pool !== null) await this.#pool.close();
    this.#pool = null;
  }
}
