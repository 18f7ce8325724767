import { describe, expect, it } from 'vitest';
import type { ConflictEvent } from '../src/index.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('versions and compare-and-set', () => {
  it('every write adds one to the version; set with version writes only over that version', async () => {
    const store = await sb().open();
    expect((await store.set('doc', 'v1')).version).toBe(1);
    expect((await store.set('doc', 'v2', { version: 1 })).version).toBe(2);
    const err = await expectRejectCode(
      store.set('doc', 'v3', { version: 1 }),
      'STORE_VERSION_CONFLICT',
    );
    expect(err.details).toMatchObject({
      namespace: 'shared_state',
      key: 'doc',
      expected: 1,
      current: 2,
    });
    expect(await store.get('doc')).toBe('v2');
    // A compare-and-set on nothing fails with current: null.
    const none = await expectRejectCode(
      store.set('ghost', 1, { version: 1 }),
      'STORE_VERSION_CONFLICT',
    );
    expect(none.details).toMatchObject({ current: null });
  });

  it('ifAbsent creates only if missing', async () => {
    const store = await sb().open();
    expect((await store.set('once', 'first', { ifAbsent: true })).version).toBe(1);
    const err = await expectRejectCode(
      store.set('once', 'second', { ifAbsent: true }),
      'STORE_VERSION_CONFLICT',
    );
    expect(err.details).toMatchObject({ expected: null, current: 1 });
    expect(await store.get('once')).toBe('first');
  });

  it('of concurrent compare-and-sets on one version, exactly one wins', async () => {
    const store = await sb().open();
    await store.set('slot', 'free');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.set('slot', `taken by ${i}`, { version: 1 })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected')
        expect((r.reason as { code: string }).code).toBe('STORE_VERSION_CONFLICT');
    expect((await store.get('slot', { includeMetadata: true })).metadata!.version).toBe(2);
  });

  it('delete with version deletes only that version', async () => {
    const store = await sb().open();
    await store.set('d', 1);
    await store.set('d', 2);
    await expectRejectCode(store.delete('d', { version: 1 }), 'STORE_VERSION_CONFLICT');
    expect(await store.delete('d', { version: 2 })).toBe(true);
  });
});

describe('atomic()', () => {
  it('reads, applies fn to a mutable copy and writes with compare-and-set, retrying on conflict', async () => {
    const store = await sb().open();
    const conflicts: ConflictEvent[] = [];
    store.events.on('conflict', (e) => conflicts.push(e));
    let calls = 0;
    // 25 concurrent read-modify-writes of one object: without compare-and-set, updates would be lost.
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.atomic<{ seen: number[] }>(
          'tally',
          (cur) => {
            calls++;
            const next = cur ?? { seen: [] };
            next.seen.push(i);
            return next;
          },
          { maxAttempts: 100 },
        ),
      ),
    );
    const tally = (await store.get('tally')) as { seen: number[] };
    expect([...tally.seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(calls).toBeGreaterThanOrEqual(25);
    // Every retry was a conflict first.
    expect(calls - 25).toBe(conflicts.length);
    expect(conflicts.every((c) => c.operation === 'atomic' && typeof c.attempt === 'number')).toBe(
      true,
    );
  });

  it('passes null and { found: false } for an absent entry, writes nothing when fn returns undefined', async () => {
    const store = await sb().open();
    const seen: unknown[] = [];
    const out = await store.atomic('absent', (cur, info) => {
      seen.push(cur, info);
      return undefined;
    });
    expect(out).toBeUndefined();
    expect(seen).toEqual([null, { found: false, version: null }]);
    expect(await store.get('absent', { includeMetadata: true })).toMatchObject({ found: false });
    expect(await store.atomic<number>('absent', (cur) => (cur ?? 10) + 1)).toBe(11);
  });

  it('gives up after maxAttempts with STORE_VERSION_CONFLICT', async () => {
    const s = sb();
    const store = await s.open();
    await store.set('contended', 0);
    let calls = 0;
    const err = await expectRejectCode(
      store.atomic(
        'contended',
        async (cur) => {
          calls++;
          // Another writer moves the entry on between our read and our write, every time.
          await s
            .inspect()
            .run("UPDATE shared_memory SET version = version + 1 WHERE key = 'contended'");
          return (cur as number) + 1;
        },
        { maxAttempts: 3 },
      ),
      'STORE_VERSION_CONFLICT',
    );
    expect(calls).toBe(3);
    expect(err.details).toMatchObject({ attempts: 3 });
    expect(await store.get('contended')).toBe(0);
  });
});

describe('increment()', () => {
  it('counts atomically, creates at `by`, works with negative steps', async () => {
    const store = await sb().open();
    expect(await store.increment('hits')).toBe(1);
    expect(await store.increment('hits', 10)).toBe(11);
    expect(await store.increment('hits', -3)).toBe(8);
    await Promise.all(Array.from({ length: 200 }, () => store.increment('hits')));
    expect(await store.get('hits')).toBe(208);
    expect((await store.get('hits', { includeMetadata: true })).metadata!.version).toBe(203);
  });

  it('refuses a value that is not an integer', async () => {
    const store = await sb().open();
    await store.set('text', 'abc');
    await store.set('float', 1.5);
    await expectRejectCode(store.increment('text'), 'STORE_NOT_A_NUMBER');
    await expectRejectCode(store.increment('float'), 'STORE_NOT_A_NUMBER');
    expect(await store.get('float')).toBe(1.5);
  });

  it('keeps an existing counter TTL unless given one, and counts transient counters in memory', async () => {
    const s = sb();
    const store = await s.open();
    await store.increment('c', 1, { ttl: 60_000 });
    const exp = (await store.get('c', { includeMetadata: true })).metadata!.expiresAt;
    await store.increment('c');
    expect((await store.get('c', { includeMetadata: true })).metadata!.expiresAt).toBe(exp);
    expect(await store.increment('mem', 5, { dataType: 'transient' })).toBe(5);
    expect(await store.increment('mem', 5)).toBe(10);
    expect((await s.rows()).map((r) => r.key)).toEqual(['c']);
  });
});

describe('batch()', () => {
  it('applies checks, sets and deletes all together', async () => {
    const store = await sb().open();
    await store.set('plan', 'draft');
    await store.set('lock', 'me');
    const out = await store
      .batch()
      .check({ key: 'plan', version: 1 })
      .check({ key: 'nothing', version: null })
      .set('plan', 'final')
      .set('log', ['planned'], { namespace: 'task_results' })
      .delete('lock')
      .commit();
    expect(out.results).toEqual([
      { op: 'set', namespace: 'shared_state', key: 'plan', version: 2, size: 7, expiresAt: null },
      { op: 'set', namespace: 'task_results', key: 'log', version: 1, size: 11, expiresAt: null },
      { op: 'delete', namespace: 'shared_state', key: 'lock', existed: true },
    ]);
    expect(await store.get('plan')).toBe('final');
    expect(await store.get('lock')).toBeNull();
  });

  it('applies nothing when a check fails, and says which', async () => {
    const store = await sb().open();
    await store.set('a', 1);
    await store.set('b', 1);
    await store.set('b', 2);
    expect(await store.get('a')).toBe(1); // cached: the rollback must not leave it stale either
    const err = await expectRejectCode(
      store
        .batch()
        .set('a', 100)
        .check({ key: 'a', version: 1 })
        .check({ key: 'b', version: 1 })
        .delete('a')
        .commit(),
      'STORE_VERSION_CONFLICT',
    );
    expect(err.details).toMatchObject({
      failed: 'check',
      index: 1,
      key: 'b',
      expected: 1,
      current: 2,
    });
    expect(err.message).toContain('check 1');
    expect(await store.get('a')).toBe(1);
    expect(await store.get('b')).toBe(2);
  });

  it('a batch commits once', async () => {
    const store = await sb().open();
    const b = store.batch().set('x', 1);
    await b.commit();
    await expectRejectCode(b.commit(), 'STORE_INVALID_ARGUMENT');
  });
});

describe('setBulk()', () => {
  it('writes many entries in one transaction, with a result per entry', async () => {
    const store = await sb().open();
    await store.set('k1', 'old');
    const entries = Array.from({ length: 500 }, (_, i) => ({
      key: `k${i}`,
      value: { i },
      options: { namespace: i % 2 ? 'odd' : 'shared_state' },
    }));
    const results = await store.setBulk(entries);
    expect(results).toHaveLength(500);
    expect(results.every((r) => r.success)).toBe(true);
    expect(results[0]).toEqual({
      key: 'k0',
      namespace: 'shared_state',
      success: true,
      size: 7,
      expiresAt: null,
    });
    expect(await store.count({ namespace: 'odd' })).toBe(250);
    expect(await store.get('k499', { namespace: 'odd' })).toEqual({ i: 499 });
  });

  it('says each new version in its set events (results do not carry it), and handles every kind of entry', async () => {
    const store = await sb().open();
    await store.set('typed', 1, { dataType: 'shared' });
    await store.set('old', 1);
    await store.set('locked', 1, { dataType: 'locked' });
    const versions: Array<[string, number, boolean]> = [];
    store.events.on('set', (e) => versions.push([e.key, e.version, e.created]));
    const results = await store.setBulk([
      { key: 'new', value: 1 },
      { key: 'old', value: 2 },
      { key: 'typed', value: 2, options: { dataType: 'versioned' } },
      { key: 'locked', value: 2, options: { version: 1, dataType: 'locked' } },
      { key: 'new', value: 3 },
    ]);
    expect(results.every((r) => r.success)).toBe(true);
    expect(versions).toEqual([
      ['new', 1, true],
      ['old', 2, false],
      ['typed', 2, false],
      ['locked', 2, false],
      ['new', 2, false],
    ]);
    expect(await store.get('new')).toBe(3);
    // Without a listener no version is read back; refusals and type changes still work.
    const quiet = await sb().open({ defaultNamespace: 'quiet' });
    await quiet.set('typed', 1, { dataType: 'shared' });
    await quiet.set('locked', 1, { dataType: 'locked' });
    const out = await quiet.setBulk([
      { key: 'typed', value: 2, options: { dataType: 'versioned' } },
      { key: 'locked', value: 2 },
    ]);
    expect(out[0]).toMatchObject({ success: true });
    expect(out[1]).toMatchObject({ success: false, error: { code: 'STORE_LOCKED', current: 1 } });
    expect(await quiet.get('typed', { includeMetadata: true })).toMatchObject({
      metadata: { version: 2, dataType: 'versioned' },
    });
  });

  it('reports a lost compare-and-set in its result and commits the others', async () => {
    const store = await sb().open();
    await store.set('a', 1);
    await store.set('a', 2);
    const results = await store.setBulk([
      { key: 'a', value: 3, options: { version: 1 } },
      { key: 'b', value: 1 },
      { key: 't', value: 1, options: { dataType: 'transient' } },
    ]);
    expect(results[0]).toMatchObject({
      key: 'a',
      success: false,
      error: { code: 'STORE_VERSION_CONFLICT', current: 2 },
    });
    expect(results[1]).toMatchObject({ key: 'b', success: true });
    expect(results[2]).toMatchObject({ key: 't', success: true });
    expect(await store.get('a')).toBe(2);
    expect(await store.get('t')).toBe(1);
  });
});

describe('locked entries', () => {
  it('refuse blind writes and deletes; take compare-and-set, atomic() and checked batches', async () => {
    const store = await sb().open();
    await store.set('leader', 'agent-1', { dataType: 'locked' });
    await expectRejectCode(store.set('leader', 'agent-2'), 'STORE_LOCKED');
    await expectRejectCode(
      store.set('leader', 'agent-2', { dataType: 'persistent' }),
      'STORE_LOCKED',
    );
    await expectRejectCode(store.delete('leader'), 'STORE_LOCKED');
    expect((await store.set('leader', 'agent-2', { version: 1, dataType: 'locked' })).version).toBe(
      2,
    );
    expect(await store.atomic('leader', () => 'agent-3', { dataType: 'locked' })).toBe('agent-3');
    await store
      .batch()
      .check({ key: 'leader', version: 3 })
      .set('leader', 'agent-4', { dataType: 'locked' })
      .commit();
    await expectRejectCode(store.batch().set('leader', 'agent-5').commit(), 'STORE_LOCKED');
    expect(await store.get('leader')).toBe('agent-4');
    expect(await store.delete('leader', { version: 4 })).toBe(true);
  });
});
