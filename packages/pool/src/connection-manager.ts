import { HiveDbError } from './errors.js';
import type { PoolOptions } from './options.js';
import { createPool } from './pool.js';
import type {
  BindParams,
  Lease,
  Pool,
  PoolStats,
  QueryResult,
  TransactionHandle,
} from './types.js';

/** Options of `DatabaseConnectionManager.createPool`: the pool's options, `filename` defaulting to `<name>.db`. */
export type ConnectionManagerPoolOptions = Omit<PoolOptions, 'filename'> & {
  readonly filename?: string;
};

/** Options of `beginTransaction`, with the seed's name `timeout` (ms). */
export interface BeginTransactionOptions {
  readonly timeout?: number;
  readonly mode?: 'immediate' | 'exclusive' | 'deferred';
}

/**
 * The seed's `DatabaseConnectionManager`: named pools behind one object, with the seed's method
 * names. A thin facade over `createPool`; every method does what the pool does.
 *
 * @example
 * const manager = new DatabaseConnectionManager({ root: '.hive-mind' });
 * manager.createPool('memory', { maxConnections: 10 });
 * const rows = await manager.executeQuery('memory', 'SELECT 1 AS one');
 * await manager.shutdown();
 */
export class DatabaseConnectionManager {
  readonly #defaults: Omit<ConnectionManagerPoolOptions, 'filename'>;
  readonly #pools = new Map<string, Pool>();
  #shutdown: Promise<void> | undefined;

  /** `defaults` apply to every pool this manager creates (the seed's `maxConnections`, `enableWAL`, …). */
  constructor(defaults: Omit<ConnectionManagerPoolOptions, 'filename'> = {}) {
    this.#defaults = defaults;
  }

  /** Creates the pool `name` (the file `<name>.db` under the root unless `filename` says otherwise). */
  createPool(name: string, options: ConnectionManagerPoolOptions = {}): Pool {
    this.#assertOpen();
    if (typeof name !== 'string' || name.length === 0)
      throw new HiveDbError('POOL_INVALID_ARGUMENT', 'a pool name must be a non-empty string');
    if (this.#pools.has(name))
      throw new HiveDbError(
        'POOL_INVALID_ARGUMENT',
        `a pool named ${JSON.stringify(name)} already exists`,
      );
    const pool = createPool({
      ...this.#defaults,
      ...options,
      filename: options.filename ?? `${name}.db`,
    } as PoolOptions);
    this.#pools.set(name, pool);
    return pool;
  }

  /** The pool `name`. Throws `POOL_UNKNOWN` when there is none. */
  getPool(name: string): Pool {
    this.#assertOpen();
    const pool = this.#pools.get(name);
    if (pool === undefined)
      throw new HiveDbError(
        'POOL_UNKNOWN',
        `no pool named ${JSON.stringify(name)}; create it with createPool(name, options)`,
      );
    return pool;
  }

  /** Whether a pool named `name` exists. */
  hasPool(name: string): boolean {
    return this.#pools.has(name);
  }

  /** Leases a reader of pool `name` (the seed's getConnection); release it with `lease.release()`. */
  async getConnection(name: string, mode: 'read' | 'write' = 'read'): Promise<Lease> {
    return this.getPool(name).acquire({ mode });
  }

  /** Begins a write transaction on pool `name`; call `commit()` or `rollback()` on the handle. */
  async beginTransaction(
    name: string,
    options: BeginTransactionOptions = {},
  ): Promise<TransactionHandle> {
    return this.getPool(name).begin({
      ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }),
      ...(options.mode === undefined ? {} : { mode: options.mode }),
    });
  }

  /** Runs one statement on pool `name`: rows for a read, changes for a write. */
  async executeQuery<Row = Record<string, unknown>>(
    name: string,
    sql: string,
    params?: BindParams,
  ): Promise<QueryResult<Row>> {
    return this.getPool(name).executeQuery<Row>(sql, params);
  }

  /** Every pool's stats, by name. */
  getStats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [name, pool] of this.#pools) out[name] = pool.stats();
    return out;
  }

  /** Closes every pool (waiting for work in flight). Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= Promise.all([...this.#pools.values()].map((p) => p.close())).then(
      () => undefined,
    );
    return this.#shutdown;
  }

  #assertOpen(): void {
    if (this.#shutdown !== undefined)
      throw new HiveDbError('POOL_CLOSED', 'the connection manager was shut down');
  }
}
