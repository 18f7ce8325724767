import { describe, expect, it } from 'vitest';
import type { Change, SharedMemoryStore } from '../src/index.js';
import { type Child, spawnChild } from './helpers/children.js';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

/** Resolves once `pred` holds (checked every 10 ms), or rejects after `ms`. */
async function until(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const brief = (c: Change) => `${c.op} ${c.namespace}/${c.key}@${c.version}`;

async function logOf(store: SharedMemoryStore, s: ReturnType<typeof sb>) {
  void store;
  return s
    .inspect()
    .all<Change>('SELECT seq, namespace, key, op, version, at FROM memory_changes ORDER BY seq');
}

describe('the change feed (subscribe)', () => {
  it('delivers every write path in commit order: set, setBulk, batch, increment, atomic, delete, clear, expiry', async () => {
    const store = await sb().open({ changeFeed: { pollIntervalMs: 5 }, gcInterval: 0 });
    const got: Change[] = [];
    const sub = store.subscribe('*', (c) => {
      got.push(c);
    });
    // No wait: a write issued after subscribe() is after its starting point.
    await store.set('a', 1);
    await store.setBulk([
      { key: 'b', value: 2 },
      { key: 'c', value: 3, options: { namespace: 'other' } },
    ]);
    await store.batch().set('a', 11).delete('b').commit();
    await store.increment('n');
    await store.atomic<number>('n', (v) => (v ?? 0) + 10);
    await store.touch('a', 60_000); // not a change of value: not logged
    await store.delete('a');
    await store.clear({ namespace: 'other' });
    await store.set('gone', 1, { ttl: 1 });
    await new Promise((r) => setTimeout(r, 5));
    await store.sweepExpired();
    await until(() => got.length >= 11, 10_000, '11 changes');
    expect(got.map(brief)).toEqual([
      'set shared_state/a@1',
      'set shared_state/b@1',
      'set other/c@1',
      'set shared_state/a@2',
      'delete shared_state/b@1',
      'set shared_state/n@1',
      'set shared_state/n@2',
      'delete shared_state/a@2',
      'delete other/c@1',
      'set shared_state/gone@1',
      'expire shared_state/gone@1',
    ]);
    const seqs = got.map((c) => c.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    expect(Object.isFrozen(got[0])).toBe(true);
    sub.unsubscribe();
    await store.set('after', 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(11);
  });

  it('filters by key pattern and namespace; since resumes after a sequence number', async () => {
    const store = await sb().open({ changeFeed: { pollIntervalMs: 5 } });
    await store.set('task:1', 'x');
    await store.set('note', 'y');
    await store.set('task:2', 'z', { namespace: 'elsewhere' });
    const tasks: string[] = [];
    const here: string[] = [];
    const all: Change[] = [];
    store.subscribe('task:*', (c) => void tasks.push(`${c.namespace}/${c.key}`), { since: 0 });
    store.subscribe('task:?', (c) => void here.push(c.key), {
      since: 0,
      namespace: 'shared_state',
    });
    store.subscribe('*', (c) => void all.push(c), { since: 1 });
    await until(() => tasks.length === 2 && here.length === 1 && all.length === 2);
    expect(tasks).toEqual(['shared_state/task:1', 'elsewhere/task:2']);
    expect(here).toEqual(['task:1']);
    expect(all.map((c) => c.seq)).toEqual([2, 3]);
    expect(() => store.subscribe('*', 'nope' as never)).toThrow(/callback/);
    expect(() => store.subscribe('*', () => {}, { since: -1 })).toThrow(/since/);
  });

  it('a throwing or rejecting callback is an error event and delivery goes on; async callbacks are awaited in order', async () => {
    const store = await sb().open({ changeFeed: { pollIntervalMs: 5 } });
    const errors: unknown[] = [];
    store.events.on('error', (e) => void errors.push(e.error));
    const order: string[] = [];
    store.subscribe(
      '*',
      () => {
        throw new Error('sync boom');
      },
      { since: 0 },
    );
    store.subscribe(
      '*',
      async (c) => {
        order.push(`start ${c.seq}`);
        await new Promise((r) => setTimeout(r, 5));
        order.push(`end ${c.seq}`);
        if (c.seq === 2) throw new Error('async boom');
      },
      { since: 0 },
    );
    const fine: number[] = [];
    store.subscribe('*', (c) => void fine.push(c.seq), { since: 0 });
    for (let i = 0; i < 3; i++) await store.set(`k${i}`, i);
    await until(() => order.length === 6 && fine.length === 3);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(fine).toEqual([1, 2, 3]);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual([
      'async boom',
      'sync boom',
      'sync boom',
      'sync boom',
    ]);
  });

  it('prunes by count, and a since older than the log is a STORE_CHANGES_PRUNED error event', async () => {
    const store = await sb().open({
      changeFeed: { pollIntervalMs: 5, maxEntries: 5, pruneIntervalMs: 20 },
    });
    for (let i = 0; i < 20; i++) await store.set(`k${i}`, i);
    const s = sb();
    await until(() => true);
    await new Promise((r) => setTimeout(r, 100));
    const left = await logOf(store, s);
    expect(left.map((c) => c.seq)).toEqual([16, 17, 18, 19, 20]);
    const errors: { code?: string }[] = [];
    store.events.on('error', (e) => void errors.push(e.error as { code?: string }));
    const got: number[] = [];
    store.subscribe('*', (c) => void got.push(c.seq), { since: 3 });
    await until(() => got.length === 5);
    expect(got).toEqual([16, 17, 18, 19, 20]);
    expect(errors.map((e) => e.code)).toEqual(['STORE_CHANGES_PRUNED']);
    // AUTOINCREMENT: a sequence number is never reused after pruning.
    await store.set('next', 1);
    await until(() => got.length === 6);
    expect(got[5]).toBe(21);
  });

  it('prunes by age (the time a change was committed); an emptied log does not reuse numbers', async () => {
    let now = 1_000_000;
    const s = sb();
    const store = await s.open({
      clock: () => now,
      changeFeed: { maxAgeMs: 60_000, pruneIntervalMs: 20 },
    });
    await store.set('old1', 1);
    await store.set('old2', 2);
    now += 30_000;
    await store.set('recent', 3);
    now += 40_000; // old1 and old2 are 70 s old, recent 40 s
    await new Promise((r) => setTimeout(r, 100));
    expect((await logOf(store, s)).map((c) => c.key)).toEqual(['recent']);
    now += 600_000; // everything is old
    await new Promise((r) => setTimeout(r, 100));
    expect(await logOf(store, s)).toEqual([]);
    await store.set('next', 4);
    expect((await logOf(store, s)).map((c) => c.seq)).toEqual([4]); // AUTOINCREMENT
  });

  it('checks its options', async () => {
    const s = sb();
    await expect(s.open({ changeFeed: { pollIntervalMs: 0 } })).rejects.toMatchObject({
      code: 'STORE_INVALID_OPTION',
    });
    await expect(s.open({ changeFeed: { every: 1 } as never })).rejects.toMatchObject({
      code: 'STORE_INVALID_OPTION',
    });
    await expect(s.open({ history: { maxVersions: 0 } })).rejects.toMatchObject({
      code: 'STORE_INVALID_OPTION',
    });
    await expect(s.open({ locks: { ttl: -1 } })).rejects.toMatchObject({
      code: 'STORE_INVALID_OPTION',
    });
  });

  it('a subscriber in one process receives, in order and once per seq, every change 4 other processes commit', async () => {
    const s = sb();
    const store = await s.open();
    const sub = spawnChild('subscriber.mjs', [s.root, '*', '0']);
    await sub.waitForLine((l) => l === 'subscribed', 30_000);
    const writers = ['w1', 'w2', 'w3', 'w4'].map((a) =>
      spawnChild('feed-writer.mjs', [s.root, a, '60']),
    );
    await Promise.all(writers.map((w) => w.waitForLine((l) => l === 'ready', 30_000)));
    for (const w of writers) w.send('go');
    await Promise.all(writers.map((w) => w.waitForLine((l) => l.startsWith('done'), 60_000)));
    const expected = await logOf(store, s);
    expect(new Set(expected.map((c) => c.op))).toEqual(new Set(['set', 'delete', 'expire']));
    const received = () => changesOf(sub);
    await until(() => received().length >= expected.length, 30_000, 'every change');
    await new Promise((r) => setTimeout(r, 100)); // nothing more, nothing twice
    expect(received()).toEqual(expected);
    sub.send('quit');
    expect((await sub.exited).code).toBe(0);
  }, 90_000);

  it('a subscriber killed and restarted with since misses nothing', async () => {
    const s = sb();
    const store = await s.open();
    const writers = ['w1', 'w2'].map((a) => spawnChild('feed-writer.mjs', [s.root, a, '80']));
    const first = spawnChild('subscriber.mjs', [s.root, '*', '0']);
    await first.waitForLine((l) => l === 'subscribed', 30_000);
    await Promise.all(writers.map((w) => w.waitForLine((l) => l === 'ready', 30_000)));
    for (const w of writers) w.send('go');
    await until(() => changesOf(first).length >= 50, 30_000, '50 changes');
    first.process.kill('SIGKILL');
    await first.exited;
    const before = changesOf(first);
    const last = before[before.length - 1]!.seq;
    const second = spawnChild('subscriber.mjs', [s.root, '*', String(last)]);
    await second.waitForLine((l) => l === 'subscribed', 30_000);
    await Promise.all(writers.map((w) => w.waitForLine((l) => l.startsWith('done'), 60_000)));
    const expected = await logOf(store, s);
    await until(
      () => before.length + changesOf(second).length >= expected.length,
      30_000,
      'the rest',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect([...before, ...changesOf(second)]).toEqual(expected);
    second.send('quit');
    await second.exited;
  }, 90_000);
});

function changesOf(child: Child): Change[] {
  return child.lines
    .filter((l) => l.startsWith('change '))
    .map((l) => JSON.parse(l.slice(7)) as Change);
}
