import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPool, type Pool, type PoolOptions } from '@hivedb/pool';
import { afterAll, afterEach } from 'vitest';

const dirs: string[] = [];
const pools: Pool[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close().catch(() => undefined)));
});

afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh folder under the system's temp folder, removed after the file's tests. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hivedb-monitor-'));
  dirs.push(dir);
  return dir;
}

/** A real pool on a real file (WAL), closed after each test. */
export function openPool(root: string, options: Partial<PoolOptions> = {}): Pool {
  const pool = createPool({ filename: 'app.db', root, healthCheckInterval: 0, ...options });
  pools.push(pool);
  return pool;
}

/** A clock the test moves by hand (ms since the epoch). */
export function manualClock(start = Date.UTC(2026, 0, 1)): {
  now: () => number;
  advance(ms: number): void;
} {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Sleeps `ms` on the SQLite thread (the main thread): a user-defined function that really takes time. */
export function registerSleep(raw: {
  function(name: string, fn: (ms: number) => number): unknown;
}): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  raw.function('sleep_ms', (ms: number) => {
    Atomics.wait(cell, 0, 0, ms);
    return ms;
  });
}

export const DAY_MS = 86_400_000;
