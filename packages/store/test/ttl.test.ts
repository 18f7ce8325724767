import { describe, expect, it } from 'vitest';
import type { ExpireEvent } from '../src/index.js';
import { manualClock, sleep, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('TTL', () => {
  it('an expired entry is never returned, even before the sweeper runs', async () => {
    const s = sb();
    const clock = manualClock();
    const store = await s.open({ clock: clock.now });
    const set = await store.set('session', { user: 'u1' }, { ttl: 1000 });
    expect(set.expiresAt).toBe(clock.now() + 1000);
    await store.set('tmp', 1, { ttl: 1000, dataType: 'transient' });
    await store.set('forever', 1);
    expect(await store.get('session')).toEqual({ user: 'u1' }); // now cached too
    clock.advance(999);
    expect(await store.get('session')).toEqual({ user: 'u1' });
    clock.advance(1);
    // Expired by the clock: not returned from the cache, the database, list, keys or counts.
    expect(await store.get('session')).toBeNull();
    expect(await store.get('session', { bypassCache: true })).toBeNull();
    expect(await store.get('session', { includeMetadata: true })).toMatchObject({ found: false });
    expect(await store.get('tmp')).toBeNull();
    expect(await store.keys()).toEqual(['forever']);
    expect((await store.list()).entries.map((e) => e.key)).toEqual(['forever']);
    expect(await store.count()).toBe(1);
    expect((await store.getStats()).entryCount).toBe(1);
    // …while the row is still on disk: nothing has swept it yet.
    expect((await s.rows()).map((r) => r.key)).toEqual(['forever', 'session']);
    // Deleting it removes the row, but it was not there to delete.
    expect(await store.delete('session')).toBe(false);
    expect((await s.rows()).map((r) => r.key)).toEqual(['forever']);
  });

  it('the sweeper deletes expired rows through the partial index, and says so', async () => {
    const s = sb();
    const clock = manualClock();
    const store = await s.open({ clock: clock.now });
    const expired: ExpireEvent[] = [];
    store.events.on('expire', (e) => expired.push(e));
    for (let i = 0; i < 30; i++) await store.set(`k${i}`, i, { ttl: i < 20 ? 100 : 10_000 });
    await store.set('t', 1, { ttl: 100, dataType: 'transient' });
    clock.advance(500);
    expect(await store.sweepExpired()).toBe(21);
    expect((await s.rows()).length).toBe(10);
    expect(expired.flatMap((e) => e.entries.map((x) => x.key)).sort()).toEqual(
      [...Array.from({ length: 20 }, (_, i) => `k${i}`), 't'].sort(),
    );
    expect(store.stats()).toMatchObject({ sweeps: 1, expired: 21 });
    expect(await store.sweepExpired()).toBe(0);
    const plan = await s
      .inspect()
      .all<{ detail: string }>(
        'EXPLAIN QUERY PLAN SELECT rowid FROM shared_memory WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1000',
        [clock.now()],
      );
    expect(plan.map((p) => p.detail).join(' ')).toContain('idx_expires_at_not_null');
  });

  it('the background sweeper runs every gcInterval', async () => {
    const s = sb();
    const store = await s.open({ gcInterval: 50 });
    await store.set('short', 1, { ttl: 20 });
    await sleep(200);
    expect((await s.rows()).length).toBe(0);
    expect(store.stats().sweeps).toBeGreaterThan(0);
  });

  it('an expired entry written again is a new entry (version 1)', async () => {
    const clock = manualClock();
    const store = await sb().open({ clock: clock.now });
    await store.set('k', 'a', { ttl: 10 });
    await store.set('k', 'b', { ttl: 10 });
    clock.advance(20);
    expect((await store.set('k', 'c')).version).toBe(1);
    expect(await store.get('k', { includeMetadata: true })).toMatchObject({
      value: 'c',
      metadata: { version: 1, createdAt: clock.now(), expiresAt: null },
    });
    clock.advance(1);
    expect(await store.increment('n', 1, { ttl: 5 })).toBe(1);
    clock.advance(10);
    expect(await store.increment('n')).toBe(1);
  });

  it('touch() extends or removes a TTL without a new version', async () => {
    const clock = manualClock();
    const store = await sb().open({ clock: clock.now });
    await store.set('k', 1, { ttl: 100 });
    await store.set('m', 1, { ttl: 100, dataType: 'transient' });
    clock.advance(90);
    expect(await store.touch('k', 100)).toEqual({ found: true, expiresAt: clock.now() + 100 });
    expect(await store.touch('m', 100)).toEqual({ found: true, expiresAt: clock.now() + 100 });
    clock.advance(90);
    expect(await store.get('k')).toBe(1);
    expect(await store.get('m')).toBe(1);
    expect(await store.touch('k', null)).toEqual({ found: true, expiresAt: null });
    clock.advance(1_000_000);
    expect(await store.get('k', { includeMetadata: true })).toMatchObject({
      value: 1,
      metadata: { version: 1 },
    });
    expect(await store.get('m')).toBeNull();
    expect(await store.touch('m', 100)).toEqual({ found: false, expiresAt: null });
    expect(await store.touch('nothing', 100)).toEqual({ found: false, expiresAt: null });
  });

  it('a cached entry expires after cachedTtl unless given a ttl', async () => {
    const clock = manualClock();
    const store = await sb().open({ clock: clock.now, cachedTtl: 5000 });
    const r = await store.set('memo', 42, { dataType: 'cached' });
    expect(r.expiresAt).toBe(clock.now() + 5000);
    expect((await store.set('memo2', 42, { dataType: 'cached', ttl: 10 })).expiresAt).toBe(
      clock.now() + 10,
    );
    clock.advance(5000);
    expect(await store.get('memo')).toBeNull();
  });
});
