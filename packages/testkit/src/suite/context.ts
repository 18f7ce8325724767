import { join } from 'node:path';
import type { Pool } from '@hivedb/pool';
import type { SharedMemoryStore, StoreOptions } from '@hivedb/store';
import { afterEach, beforeEach } from 'vitest';
import { killAllChildren } from '../child-process.js';
import { assertSerializable, type TestConfig, type TestConfigFactory } from '../config.js';
import { type OpenTestPoolOptions, openTestPool, openTestStore } from '../open.js';
import { createTempDir } from '../temp-dir.js';

/** What one test of the suite works with: its temp folder and the configuration under test. */
export interface CaseEnv {
  /** The test's temp folder (the stores' project root). */
  readonly root: string;
  /** `<root>/.hive-mind`: where a store's databases are. */
  readonly hiveMind: string;
  /** `<root>/.hive-mind/memory.db`. */
  readonly memoryDb: string;
  /** The configuration the factory made for this test. */
  readonly config: TestConfig;
  /** A store on `root` with the configuration's options (and `extra` over them); shut down after the test. */
  store(extra?: Omit<StoreOptions, 'projectRoot'>): Promise<SharedMemoryStore>;
  /** A pool in `root` with the configuration's pool options (and `extra` over them); closed after the test. */
  pool(extra?: OpenTestPoolOptions): Promise<Pool>;
  /** Runs `fn` after the test, before stores and pools are closed (last registered first). */
  defer(fn: () => unknown): void;
}

/** Registers hooks that give each test a fresh `CaseEnv`; returns its getter. */
export function useCaseEnv(factory: TestConfigFactory): () => CaseEnv {
  let current: { env: CaseEnv; cleanup: () => Promise<void> } | undefined;
  beforeEach(() => {
    current = createCaseEnv(factory);
  });
  afterEach(async () => {
    const c = current;
    current = undefined;
    await c?.cleanup();
  });
  return () => {
    if (!current) throw new Error('the reliability suite has no test environment outside a test');
    return current.env;
  };
}

function createCaseEnv(factory: TestConfigFactory): { env: CaseEnv; cleanup: () => Promise<void> } {
  const dir = createTempDir();
  const config = assertSerializable(factory(dir.path));
  const stores: SharedMemoryStore[] = [];
  const pools: Pool[] = [];
  const deferred: Array<() => unknown> = [];
  const hiveMind = join(dir.path, '.hive-mind');
  const env: CaseEnv = {
    root: dir.path,
    hiveMind,
    memoryDb: join(hiveMind, 'memory.db'),
    config,
    async store(extra = {}) {
      const base = config.store ?? {};
      const pool = base.pool || extra.pool ? { ...base.pool, ...extra.pool } : undefined;
      const s = await openTestStore(dir.path, { ...base, ...extra, ...(pool ? { pool } : {}) });
      stores.push(s);
      return s;
    },
    async pool(extra = {}) {
      const p = await openTestPool(dir.path, { ...config.pool, ...extra });
      pools.push(p);
      return p;
    },
    defer(fn) {
      deferred.push(fn);
    },
  };
  const cleanup = async (): Promise<void> => {
    const errors: unknown[] = [];
    await killAllChildren();
    for (const fn of deferred.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    await Promise.all(stores.map((s) => s.shutdown().catch((err: unknown) => errors.push(err))));
    await Promise.all(
      pools.map((p) => p.close({ timeoutMs: 1000 }).catch((err: unknown) => errors.push(err))),
    );
    dir.remove();
    if (errors.length > 0) throw new AggregateError(errors, 'reliability suite cleanup failed');
  };
  return { env, cleanup };
}

/** Awaits `promise`, which must reject; returns the error (fails with a clear message otherwise). */
export async function rejectionOf(promise: Promise<unknown>): Promise<CodedError> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err as CodedError,
  );
}

/** The fields of a `HiveDbError` the suite looks at. */
export interface CodedError extends Error {
  readonly code?: string;
  readonly sqliteCode?: string;
  readonly details?: Record<string, unknown>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
