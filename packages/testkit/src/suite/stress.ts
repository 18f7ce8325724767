import type { SharedMemoryStore } from '@hivedb/store';
import { expect, it } from 'vitest';
import { countOpenFds, rssAfterGc } from '../resources.js';
import type { CaseEnv } from './context.js';

/** Options of case 11. */
export interface StressCaseOptions {
  /** Operations in all (at least 100000 for the bar). */
  readonly operations: number;
}

/**
 * One round of mixed load: each step is a `setBulk` of 250 entries (250 operations), 250
 * concurrent `get`s, 50 `increment`s, 5 pages of `list`, 20 deletes and 20 single `set`s.
 * Returns the operations done (each entry written, read, listed page, … counts one).
 */
async function mixedRound(
  store: SharedMemoryStore,
  target: number,
  round: number,
): Promise<number> {
  let ops = 0;
  for (let step = 0; ops < target; step++) {
    const base = (step % 40) * 250;
    const bulk = Array.from({ length: 250 }, (_, i) => ({
      key: `s${base + i}`,
      value: { round, step, i, pad: 'p'.repeat(64) },
      options: { namespace: 'stress' },
    }));
    const written = await store.setBulk(bulk);
    if (written.some((r) => !r.success)) throw new Error('setBulk reported a failed entry');
    ops += bulk.length;
    const got = await Promise.all(
      bulk.map(
        (b) => store.get(b.key, { namespace: 'stress' }) as Promise<{ step: number } | null>,
      ),
    );
    if (got.some((g) => g?.step !== step))
      throw new Error(`a read missed the write of step ${step}`);
    ops += got.length;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.increment(`c${i % 5}`, 1, { namespace: 'counters' }),
      ),
    );
    ops += 50;
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res: { cursor: string | null } = await store.list({
        namespace: 'stress',
        limit: 50,
        ...(cursor ? { cursor } : {}),
      });
      ops += 1;
      cursor = res.cursor;
      if (!cursor) break;
    }
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.delete(`s${base + i}`, { namespace: 'stress' })),
    );
    ops += 20;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.set(`solo${i}`, step, { namespace: 'solo' })),
    );
    ops += 20;
  }
  return ops;
}

/** Case 11: stress — a sustained mixed load with stable RSS and file handles and zero errors. */
export function stressCase(env: () => CaseEnv, options: StressCaseOptions): void {
  it(`runs ${options.operations} mixed operations with zero errors, stable RSS and no leaked file handles`, async () => {
    const e = env();
    const fdsBefore = countOpenFds();
    const store = await e.store();
    const errors: unknown[] = [];
    store.events.on('error', (ev) => errors.push(ev));
    const half = Math.ceil(options.operations / 2);
    // Round 1 warms caches, statement caches and the heap; round 2 must not grow beyond it.
    const t0 = performance.now();
    const ops1 = await mixedRound(store, half, 1);
    const fdsMid = countOpenFds();
    const rssMid = await rssAfterGc();
    const ops2 = await mixedRound(store, options.operations - ops1, 2);
    const fdsEnd = countOpenFds();
    const rssEnd = await rssAfterGc();
    expect(ops1 + ops2).toBeGreaterThanOrEqual(options.operations);
    expect(errors).toEqual([]);
    const total = (await store.get('c0', { namespace: 'counters', bypassCache: true })) as number;
    expect(total * 5).toBe(
      (
        await Promise.all([0, 1, 2, 3, 4].map((i) => store.get(`c${i}`, { namespace: 'counters' })))
      ).reduce((a: number, b) => a + (b as number), 0),
    );
    await store.shutdown();
    const fdsAfter = countOpenFds();
    const mib = (n: number) => (n / 1048576).toFixed(1);
    console.info(
      `stress: ${ops1 + ops2} operations in ${Math.round(performance.now() - t0)} ms; open fds ${fdsBefore} before, ${fdsMid} after round 1, ${fdsEnd} after round 2, ${fdsAfter} after shutdown; RSS ${mib(rssMid)} MiB after round 1, ${mib(rssEnd)} MiB after round 2`,
    );
    if (fdsBefore !== null) {
      expect(fdsEnd, 'file handles grew during the second round').toBeLessThanOrEqual(fdsMid! + 2);
      expect(fdsAfter, 'file handles left open after shutdown').toBeLessThanOrEqual(fdsBefore + 2);
    }
    // RSS: the second, equal round may not add more than 64 MiB to what the first left.
    expect(rssEnd - rssMid, `RSS grew from ${rssMid} to ${rssEnd} bytes`).toBeLessThan(
      64 * 1024 * 1024,
    );
  });
}
