import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import { createPool } from '../../src/index.js';
import type { Pool, PoolOptions } from '../../src/index.js';
import { killAll } from './children.js';

/** Options of `sandbox.pool()`: `root` defaults to the sandbox's root folder. */
export type SandboxPoolOptions = Omit<PoolOptions, 'root'> & { readonly root?: string };

/**
 * A temp folder for one test: `root` (where pools live) and `outside` (a sibling folder that
 * path-safety tests must never write to). Every pool, raw connection and child process made
 * through it is closed or killed after the test, and the folder is removed.
 */
export interface Sandbox {
  /** The real path of the pools' root folder. */
  readonly root: string;
  /** A folder beside `root`, outside it. */
  readonly outside: string;
  /** The folder holding both. */
  readonly base: string;
  /** An absolute path inside `root`. */
  file(name: string): string;
  /** `createPool` with `root` set to the sandbox, closed after the test. */
  pool(options: SandboxPoolOptions): Pool;
  /** A plain better-sqlite3 connection (for setup and inspection), closed after the test. */
  raw(name: string, options?: Database.Options): Database.Database;
  /** Runs `fn` after the test, before the folder is removed (last registered runs first). */
  defer(fn: () => unknown): void;
}

/**
 * Registers `beforeEach`/`afterEach` hooks and returns a getter for the current test's sandbox.
 *
 * @example
 * const sb = useSandbox();
 * it('…', async () => { const pool = sb().pool({ filename: 'a.db' }); … });
 */
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
    if (!current) throw new Error('useSandbox(): no sandbox outside a test');
    return current.sandbox;
  };
}

function createSandbox(): { sandbox: Sandbox; cleanup: () => Promise<void> } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'hivedb-pool-')));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  const deferred: Array<() => unknown> = [];
  const pools: Pool[] = [];
  const raws: Database.Database[] = [];

  const sandbox: Sandbox = {
    root,
    outside,
    base,
    file: (name) => join(root, name),
    pool(options) {
      const pool = createPool({ root, ...options } as PoolOptions);
      pools.push(pool);
      return pool;
    },
    raw(name, options) {
      const db = new Database(join(root, name), { timeout: 10_000, ...options });
      raws.push(db);
      return db;
    },
    defer(fn) {
      deferred.push(fn);
    },
  };

  const cleanup = async (): Promise<void> => {
    const errors: unknown[] = [];
    await killAll();
    for (const fn of deferred.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    await Promise.all(
      pools.map((p) =>
        p.close({ timeoutMs: 1000 }).catch((err: unknown) => {
          errors.push(err);
        }),
      ),
    );
    for (const db of raws) {
      if (db.open) db.close();
    }
    rmSync(base, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, 'sandbox cleanup failed');
  };
  return { sandbox, cleanup };
}
