import { describe, expect, it } from 'vitest';
import type { StoreEvents } from '../src/index.js';
import { expectRejectCode, manualClock, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('events', () => {
  it('set, get, delete, clear, conflict and expire carry what a monitor needs', async () => {
    const clock = manualClock();
    const store = await sb().open({ clock: clock.now });
    const seen: Array<[keyof StoreEvents, unknown]> = [];
    for (const name of ['set', 'get', 'delete', 'clear', 'conflict', 'expire'] as const)
      store.events.on(name, (e) => seen.push([name, e]));
    await store.set('k', { a: 1 }, { agentId: 'agent-1', ttl: 10 });
    await store.get('k', { agentId: 'agent-2' });
    await store.get('k');
    await expectRejectCode(store.set('k', 2, { version: 7 }), 'STORE_VERSION_CONFLICT');
    await store.increment('n');
    await store.delete('n');
    await store.clear({ namespace: 'empty' });
    clock.advance(20);
    await store.sweepExpired();
    const byName = (n: string) => seen.filter(([name]) => name === n).map(([, e]) => e);
    expect(byName('set')).toEqual([
      {
        namespace: 'shared_state',
        key: 'k',
        dataType: 'persistent',
        version: 1,
        size: 7,
        created: true,
        source: 'set',
        agentId: 'agent-1',
        durationMs: expect.any(Number),
      },
      expect.objectContaining({ key: 'n', source: 'increment', version: 1, created: true }),
    ]);
    expect(byName('get')).toEqual([
      {
        namespace: 'shared_state',
        key: 'k',
        found: true,
        cacheHit: false,
        agentId: 'agent-2',
        durationMs: expect.any(Number),
      },
      {
        namespace: 'shared_state',
        key: 'k',
        found: true,
        cacheHit: true,
        durationMs: expect.any(Number),
      },
    ]);
    expect(byName('conflict')).toEqual([
      {
        namespace: 'shared_state',
        key: 'k',
        expected: 7,
        current: 1,
        operation: 'set',
        reason: 'version',
      },
    ]);
    expect(byName('delete')).toEqual([
      {
        namespace: 'shared_state',
        key: 'n',
        existed: true,
        source: 'delete',
        durationMs: expect.any(Number),
      },
    ]);
    expect(byName('clear')).toEqual([
      { namespace: 'empty', deleted: 0, durationMs: expect.any(Number) },
    ]);
    expect(byName('expire')).toEqual([
      {
        entries: [{ namespace: 'shared_state', key: 'k', version: 1 }],
        count: 1,
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('a fault of the database (not of the input) is an error event too', async () => {
    const s = sb();
    const store = await s.open();
    const errors: Array<{ where: string; error: unknown }> = [];
    store.events.on('error', (e) => errors.push(e));
    await expectRejectCode(store.set('k', 1, { version: 3 }), 'STORE_VERSION_CONFLICT');
    expect(errors).toEqual([]); // a lost compare-and-set answers the caller; it is no fault
    await s.inspect().run('ALTER TABLE shared_memory RENAME TO shared_memory_away');
    await expectRejectCode(store.set('k', 1), 'POOL_SQLITE_ERROR');
    await expectRejectCode(store.get('k', { bypassCache: true }), 'POOL_SQLITE_ERROR');
    expect(errors.map((e) => [e.where, (e.error as { code: string }).code])).toEqual([
      ['set', 'POOL_SQLITE_ERROR'],
      ['get', 'POOL_SQLITE_ERROR'],
    ]);
    await s.inspect().run('ALTER TABLE shared_memory_away RENAME TO shared_memory');
  });

  it('a listener that throws never fails the operation; its error goes to listener:error', async () => {
    const store = await sb().open();
    const errors: unknown[] = [];
    store.events.on('listener:error', (e) => errors.push(e));
    store.events.on('set', () => {
      throw new Error('listener bug');
    });
    store.events.on('get', () => {
      throw new Error('listener bug 2');
    });
    expect((await store.set('k', 1)).success).toBe(true);
    expect(await store.get('k')).toBe(1);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ event: 'set', error: expect.any(Error) });
  });

  it('builds no payload when no one listens', async () => {
    const store = await sb().open();
    expect(store.events.listening('set')).toBe(false);
    const onSet = () => undefined;
    store.events.on('set', onSet);
    expect(store.events.listening('set')).toBe(true);
    store.events.off('set', onSet);
    expect(store.events.listenerCount('set')).toBe(0);
  });
});
