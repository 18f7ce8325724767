import { describe, expect, it } from 'vitest';
import type { FlushEvent, StoreErrorEvent } from '../src/index.js';
import { manualClock, sleep, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();
const nextMacrotask = () => new Promise((r) => setImmediate(r));

describe('access counts and the access log', () => {
  it('reads are not writes: nothing is committed until a flush', async () => {
    const s = sb();
    const store = await s.open({ flushInterval: 0 });
    await store.set('k', 1);
    await store.set('j', 2);
    const observer = s.inspect();
    await nextMacrotask();
    const before = observer.generation();
    for (let i = 0; i < 100; i++) {
      await store.get('k', { agentId: 'agent-1' });
      await store.get('j', { bypassCache: true });
    }
    await nextMacrotask();
    // No commit anywhere: the database's change counter did not move.
    expect(observer.generation()).toBe(before);
    expect(await s.inspect().get("SELECT access_count FROM shared_memory WHERE key = 'k'")).toEqual(
      { access_count: 0 },
    );
    // k, j, and a log row per agent, key and millisecond.
    expect(store.stats().pendingAccessRecords).toBeGreaterThanOrEqual(3);
    await store.flush();
    expect(
      await s.inspect().all('SELECT key, access_count FROM shared_memory ORDER BY key'),
    ).toEqual([
      { key: 'j', access_count: 100 },
      { key: 'k', access_count: 100 },
    ]);
  });

  it('flushes every flushInterval, with the clock’s time as last_accessed', async () => {
    const s = sb();
    const clock = manualClock();
    const store = await s.open({ flushInterval: 30, clock: clock.now });
    const flushes: FlushEvent[] = [];
    store.events.on('flush', (e) => flushes.push(e));
    await store.set('k', 1);
    await store.get('k');
    clock.advance(500);
    await store.get('k');
    const deadline = Date.now() + 5000;
    while (flushes.length === 0 && Date.now() < deadline) await sleep(10);
    expect(flushes[0]).toMatchObject({ accessRecords: 1, logRecords: 0, reason: 'interval' });
    expect(
      await s
        .inspect()
        .get("SELECT access_count, last_accessed FROM shared_memory WHERE key = 'k'"),
    ).toEqual({
      access_count: 2,
      last_accessed: clock.now(),
    });
    const meta = await store.get('k', { includeMetadata: true });
    expect(meta.metadata).toMatchObject({ accessCount: 3, lastAccessed: clock.now() });
  });

  it('flushes as soon as flushMaxEntries records wait', async () => {
    const s = sb();
    const store = await s.open({ flushInterval: 0, flushMaxEntries: 10 });
    const flushes: FlushEvent[] = [];
    store.events.on('flush', (e) => flushes.push(e));
    for (let i = 0; i < 10; i++) await store.set(`k${i}`, i);
    for (let i = 0; i < 10; i++) await store.get(`k${i}`);
    const deadline = Date.now() + 5000;
    while (flushes.length === 0 && Date.now() < deadline) await sleep(5);
    expect(flushes[0]).toMatchObject({ accessRecords: 10, reason: 'size' });
  });

  it("records each agent's reads, writes and deletes in hive.db's agent_memory", async () => {
    const s = sb();
    const store = await s.open({ flushInterval: 0 });
    await store.set('plan', 1, { agentId: 'planner', namespace: 'task_results' });
    await store.get('plan', { agentId: 'coder', namespace: 'task_results' });
    await store.get('absent', { agentId: 'coder' });
    await sleep(2);
    await store.delete('plan', { agentId: 'planner', namespace: 'task_results' });
    await expect(store.set('x', 1, { agentId: 'bad', version: 9 })).rejects.toThrow();
    await store.flush();
    const rows = await s
      .inspect('hive')
      .all<Record<string, unknown>>(
        'SELECT agent_id, memory_key, access_type, success, duration_ms FROM agent_memory ORDER BY rowid',
      );
    expect(rows.map((r) => [r.agent_id, r.memory_key, r.access_type, r.success])).toEqual([
      ['planner', 'task_results:plan', 'write', 1],
      ['coder', 'task_results:plan', 'read', 1],
      ['planner', 'task_results:plan', 'delete', 1],
      ['bad', 'shared_state:x', 'write', 0],
    ]);
    expect(
      rows.every((r) => typeof r.duration_ms === 'number' && (r.duration_ms as number) >= 0),
    ).toBe(true);
  });

  it('a failed flush is reported on the bus and its records are written by the next one', async () => {
    const s = sb();
    const store = await s.open({ flushInterval: 0 });
    const errors: StoreErrorEvent[] = [];
    store.events.on('error', (e) => errors.push(e));
    await store.set('k', 1);
    await store.get('k', { agentId: 'a' });
    const hive = s.inspect('hive');
    await hive.run('ALTER TABLE agent_memory RENAME TO agent_memory_away');
    await store.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.where).toBe('flush');
    expect(store.stats().pendingAccessRecords).toBeGreaterThan(0);
    await hive.run('ALTER TABLE agent_memory_away RENAME TO agent_memory');
    await store.flush();
    expect(store.stats().pendingAccessRecords).toBe(0);
    expect(await hive.get('SELECT count(*) AS n FROM agent_memory')).toEqual({ n: 1 });
    // access_count was written by the first flush (memory.db was fine) and not counted twice.
    expect(await s.inspect().get("SELECT access_count FROM shared_memory WHERE key = 'k'")).toEqual(
      { access_count: 1 },
    );
  });
});
