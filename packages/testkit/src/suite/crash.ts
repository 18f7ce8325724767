import { createPool, type Transaction } from '@hivedb/pool';
import type { ListEntry, SharedMemoryStore } from '@hivedb/store';
import { expect, it } from 'vitest';
import { killDuring } from '../faults/kill-during.js';
import { startStoreWorker } from '../store-worker.js';
import { type CaseEnv, sleep } from './context.js';

/** Options of case 12. */
export interface CrashCaseOptions {
  /** SIGKILLs in all (at least 20 for the bar). */
  readonly iterations: number;
}

const BATCH = 40;

async function allEntries(store: SharedMemoryStore, namespace: string): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  let cursor: string | null = null;
  do {
    const page: { entries: readonly ListEntry[]; cursor: string | null } = await store.list({
      namespace,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor);
  return entries;
}

/** Writes rows straight into `shared_memory` inside a transaction that `killDuring` never lets commit. */
function uncommittedRows(tx: Transaction, args: { namespace: string; n: number }): void {
  for (let i = 0; i < args.n; i++) {
    tx.run(
      'INSERT INTO shared_memory (key, namespace, data_type, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [`u${i}`, args.namespace, 'persistent', JSON.stringify(i), 1, 1],
    );
  }
}

/** Case 12: crash safety — SIGKILL mid-transaction, repeated; committed kept, uncommitted never seen. */
export function crashCase(env: () => CaseEnv, options: CrashCaseOptions): void {
  it(`survives ${options.iterations} SIGKILLs in the middle of writes: every committed entry present, no partial batch, integrity ok`, async () => {
    const e = env();
    const store = await e.store();
    await store.set('ready', true);
    const inspect = createPool({
      filename: 'memory.db',
      root: e.hiveMind,
      minConnections: 1,
      maxConnections: 2,
      snapshotWindowMs: 0,
      healthCheckInterval: 0,
    });
    e.defer(() => inspect.close());
    let acknowledged = 0;
    for (let iter = 0; iter < options.iterations; iter++) {
      const namespace = `crash-${iter}`;
      let lastCommitted = -1;
      if (iter % 2 === 1) {
        // A kill that lands inside an open write transaction, for certain.
        const killed = await killDuring(uncommittedRows, {
          dbPath: e.memoryDb,
          args: { namespace, n: 500 },
          pool: { ...e.config.store?.pool },
        });
        expect(killed.signal).toBe('SIGKILL');
      } else {
        // A kill at a random moment of a process that commits batches back to back.
        const child = startStoreWorker(e.root, e.config.store, 'crash-writer', {
          namespace,
          batchSize: BATCH,
        });
        const waitFor = 1 + (iter % 4);
        await child.waitForLine((l) => l === `committed ${waitFor - 1}`, 30_000);
        await sleep((iter * 7) % 23);
        await child.kill();
        const { signal } = await child.exited;
        expect(signal, child.stderr()).toBe('SIGKILL');
        for (const l of child.lines)
          if (l.startsWith('committed ')) lastCommitted = Number(l.slice(10));
        expect(lastCommitted).toBeGreaterThanOrEqual(waitFor - 1);
      }

      const integrity = await inspect.all<{ integrity_check: string }>('PRAGMA integrity_check');
      expect(integrity, `iteration ${iter}`).toEqual([{ integrity_check: 'ok' }]);
      const entries = await allEntries(store, namespace);
      if (iter % 2 === 1) {
        expect(entries, `iteration ${iter}: uncommitted rows are visible`).toEqual([]);
        continue;
      }
      const byBatch = new Map<number, number>();
      let last: number | undefined;
      for (const entry of entries) {
        if (entry.key === 'last') {
          last = entry.value as number;
          continue;
        }
        const v = entry.value as { i: number; j: number };
        expect(entry.key).toBe(`b${v.i}-${v.j}`);
        byBatch.set(v.i, (byBatch.get(v.i) ?? 0) + 1);
      }
      // Every batch acknowledged before the kill is there, whole.
      for (let i = 0; i <= lastCommitted; i++)
        expect(byBatch.get(i), `iteration ${iter}, batch ${i}`).toBe(BATCH);
      // A batch is there whole or not at all, and `last` names the newest one.
      for (const [i, n] of byBatch)
        expect(n, `iteration ${iter}, batch ${i} is partial`).toBe(BATCH);
      const newest = Math.max(...byBatch.keys());
      expect(last).toBe(newest);
      expect(newest - lastCommitted).toBeLessThanOrEqual(1);
      acknowledged += lastCommitted + 1;
    }
    console.info(
      `crash safety: ${options.iterations} SIGKILLs (${Math.floor(options.iterations / 2)} inside an open transaction), ${acknowledged} acknowledged batches of ${BATCH} entries all present, integrity_check ok after each`,
    );
    expect(await store.get('ready', { bypassCache: true })).toBe(true);
  });
}
