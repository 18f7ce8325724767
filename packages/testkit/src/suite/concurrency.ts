import { expect, it } from 'vitest';
import { startStoreWorker } from '../store-worker.js';
import { type CaseEnv, rejectionOf } from './context.js';

/** Options of case 9. */
export interface ConcurrencyCaseOptions {
  /** Other processes writing at once. */
  readonly processes: number;
}

/** Case 9: concurrent operations — many async tasks and several processes, no lost update. */
export function concurrencyCase(env: () => CaseEnv, options: ConcurrencyCaseOptions): void {
  it('loses no update: increments and read-modify-writes from many tasks and processes add up exactly', async () => {
    const e = env();
    const store = await e.store({ atomic: { maxAttempts: 1000 } });
    const perProcess = 200;
    const atomicPerProcess = 40;
    const workers = [];
    for (let p = 0; p < options.processes; p++) {
      workers.push(
        startStoreWorker(e.root, e.config.store, 'increment', {
          key: 'counter',
          times: perProcess,
        }),
      );
      workers.push(
        startStoreWorker(e.root, e.config.store, 'atomic', { key: 'doc', times: atomicPerProcess }),
      );
    }
    // Meanwhile, here: 300 concurrent increments and 100 concurrent read-modify-writes.
    await Promise.all(workers.map((w) => w.waitForLine((l) => l === 'started', 30_000)));
    await Promise.all([
      ...Array.from({ length: 300 }, () => store.increment('counter')),
      ...Array.from({ length: 100 }, () =>
        store.atomic('doc', (cur: { n?: number } | null) => ({ n: (cur?.n ?? 0) + 1 })),
      ),
    ]);
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(
      exits.map((x) => x.code),
      workers.map((w) => w.stderr()).join('\n'),
    ).toEqual(workers.map(() => 0));
    expect(await store.get('counter', { bypassCache: true })).toBe(
      300 + options.processes * perProcess,
    );
    expect(await store.get('doc', { bypassCache: true })).toEqual({
      n: 100 + options.processes * atomicPerProcess,
    });
  });

  it('lets exactly one of many racing compare-and-sets win', async () => {
    const e = env();
    const store = await e.store();
    const { version } = await store.set('leader', 'nobody');
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) => store.set('leader', `agent-${i}`, { version })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected')
        expect((r.reason as { code?: string }).code).toBe('STORE_VERSION_CONFLICT');
    }
    expect(
      (
        (await store.get('leader', { includeMetadata: true, bypassCache: true })) as {
          metadata: { version: number };
        }
      ).metadata.version,
    ).toBe(version + 1);
    expect((await rejectionOf(store.set('leader', 'late', { version }))).code).toBe(
      'STORE_VERSION_CONFLICT',
    );
  });
}
