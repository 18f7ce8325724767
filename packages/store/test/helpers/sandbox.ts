import { createHash } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createPool, type Pool } from '@hivedb/pool';
import { afterEach, beforeEach, expect } from 'vitest';
import { SharedMemoryStore, type StoreOptions } from '../../src/index.js';
import { killAll } from './children.js';

/** One test's project folder, and what was opened in it. */
export interface Sandbox {
  /** The project root: the store's databases are in `<root>/.hive-mind/`. */
  readonly root: string;
  /** `<root>/.hive-mind`. */
  readonly hiveMind: string;
  /** Opens a store on this root (closed after the test). */
  open(options?: Omit<StoreOptions, 'projectRoot'>): Promise<SharedMemoryStore>;
  /** A pool on `memory.db` or `hive.db`, for looking at what is on disk (closed after the test). */
  inspect(database?: 'memory' | 'hive'): Pool;
  /** Every row of `shared_memory`, in (namespace, key) order. */
  rows(): Promise<Record<string, unknown>[]>;
  /** A checksum of every row of `shared_memory` and `agent_memory`. */
  checksum(): Promise<string>;
  defer(fn: () => unknown): void;
}

/** Registers hooks; returns a getter for the current test's sandbox. */
export function useSandbox(): () => Sandbox {
  let current: { sandbox: Sandbox; cleanup: () => Promise<void> } | undefined;
  beforeEach(() => {
    current = createSandbox();
  });
  afterEach(async () => {
    const c = current;
    current = undefined;
    await c?.cleanup();
  });
  return () => {
    if (!current) throw new Error('no sandbox outside a test');
    return current.sandbox;
  };
}

function createSandbox(): { sandbox: Sandbox; cleanup: () => Promise<void> } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'hivedb-store-')));
  const hiveMind = join(root, '.hive-mind');
  const stores: SharedMemoryStore[] = [];
  const pools = new Map<string, Pool>();
  const deferred: Array<() => unknown> = [];
  const inspect = (database: 'memory' | 'hive' = 'memory'): Pool => {
    let pool = pools.get(database);
    if (pool === undefined) {
      pool = createPool({
        filename: `${database}.db`,
        root: hiveMind,
        minConnections: 1,
        maxConnections: 2,
        healthCheckInterval: 0,
        // Each inspection sees every commit made before it, however recent.
        snapshotWindowMs: 0,
      });
      pools.set(database, pool);
    }
    return pool;
  };
  const rows = () =>
    inspect('memory').all<Record<string, unknown>>(
      'SELECT * FROM shared_memory ORDER BY namespace, key',
    );
  const sandbox: Sandbox = {
    root,
    hiveMind,
    async open(options) {
      const store = await SharedMemoryStore.open({
        projectRoot: root,
        gcInterval: 0,
        ...options,
      });
      stores.push(store);
      return store;
    },
    inspect,
    rows,
    async checksum() {
      const memory = await rows();
      const hive = await inspect('hive').all(
        'SELECT * FROM agent_memory ORDER BY agent_id, memory_key, timestamp',
      );
      return createHash('sha256').update(JSON.stringify({ memory, hive })).digest('hex');
    },
    defer(fn) {
      deferred.push(fn);
    },
  };
  const cleanup = async () => {
    await killAll();
    for (const fn of deferred.reverse()) await fn();
    await Promise.all(stores.map((s) => s.shutdown()));
    await Promise.all([...pools.values()].map((p) => p.close()));
    rmSync(root, { recursive: true, force: true });
  };
  return { sandbox, cleanup };
}

/** The fields of a `HiveDbError` that tests look at. */
export interface CodedError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;
}

/** Awaits `promise`, which must reject with a `HiveDbError` of `code`; returns the error. */
export async function expectRejectCode(
  promise: Promise<unknown>,
  code: string,
): Promise<CodedError> {
  const caught = await promise.then(
    (value) => {
      throw new Error(`expected a rejection with ${code}, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
  expect(caught).toBeInstanceOf(Error);
  expect((caught as CodedError).name).toBe('HiveDbError');
  expect((caught as CodedError).code, (caught as Error).message).toBe(code);
  return caught as CodedError;
}

/** Runs `fn`, which must throw a `HiveDbError` of `code` synchronously. */
export function expectThrowCode(fn: () => unknown, code: string): CodedError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect((caught as CodedError | undefined)?.code, String(caught)).toBe(code);
  return caught as CodedError;
}

/** A clock that tests move by hand. */
export function manualClock(start = 1_700_000_000_000): {
  now: () => number;
  advance(ms: number): void;
  set(t: number): void;
} {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    set(v) {
      t = v;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs SQL on a database file (created if missing) with a pool of its own, then closes it. */
export async function execOn(file: string, sql: string): Promise<void> {
  const pool = createPool({
    filename: basename(file),
    root: dirname(file),
    healthCheckInterval: 0,
  });
  try {
    await pool.withConnection((lease) => lease.exec(sql), { mode: 'write' });
  } finally {
    await pool.close();
  }
}
