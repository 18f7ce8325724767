import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SharedMemoryStore } from '../src/index.js';
import { spawnChild } from './helpers/children.js';
import { expectRejectCode, useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('opening', () => {
  it('open() creates and migrates memory.db and hive.db under <projectRoot>/.hive-mind', async () => {
    const s = sb();
    const store = await s.open();
    expect(store.ready).toBe(true);
    expect(store.files).toEqual({
      memory: join(s.hiveMind, 'memory.db'),
      hive: join(s.hiveMind, 'hive.db'),
    });
    const tables = await s
      .inspect()
      .all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(tables.map((t) => t.name)).toContain('shared_memory');
    const hive = await s
      .inspect('hive')
      .all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(hive.map((t) => t.name)).toEqual(
      expect.arrayContaining(['agent_memory', 'query_performance']),
    );
    // The primary key is (namespace, key).
    const pk = await s
      .inspect()
      .all<{ name: string; pk: number }>(
        "SELECT name, pk FROM pragma_table_info('shared_memory') WHERE pk > 0 ORDER BY pk",
      );
    expect(pk.map((c) => c.name)).toEqual(['namespace', 'key']);
  });

  it("shutdown() does not stall on another process's reader: its TRUNCATE checkpoint waits 50 ms, not busyTimeout", async () => {
    const s = sb();
    const store = await SharedMemoryStore.open({
      projectRoot: s.root,
      pool: { busyTimeout: 5000 },
    });
    await store.set('before', 1);
    const reader = spawnChild('reader-holder.mjs', [store.files!.memory]);
    await reader.waitForLine((l) => l === 'reading');
    for (let i = 0; i < 50; i++) await store.set(`k${i}`, i);
    const started = performance.now();
    await store.shutdown();
    // TRUNCATE must wait for that reader; with the pool's 5 s busy_timeout it would stall here
    // (and every writer of every other process with it).
    expect(performance.now() - started).toBeLessThan(1500);
    const again = await SharedMemoryStore.open({ projectRoot: s.root });
    expect(await again.get('k49')).toBe(49);
    await again.shutdown();
  });

  it("pools() gives the two pools' events and stats (for a monitor), only while the store is open", async () => {
    const s = sb();
    const store = new SharedMemoryStore({ projectRoot: s.root });
    expect(() => store.pools()).toThrow(expect.objectContaining({ code: 'STORE_NOT_READY' }));
    await store.init();
    const { memory, hive } = store.pools();
    const seen: string[] = [];
    const onQuery = (e: { sql: string }) => seen.push(e.sql);
    memory.events.on('query', onQuery);
    await store.set('k', 1);
    memory.events.off('query', onQuery);
    expect(seen.some((sql) => /shared_memory/.test(sql))).toBe(true);
    expect(memory.stats().filename).toBe(store.files!.memory);
    expect(hive!.stats().filename).toBe(store.files!.hive);
    expect(memory.stats().total).toBeGreaterThan(0);
    await store.shutdown();
    expect(() => store.pools()).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
  });

  it("the seed's style: new, then init(); before init every call says the store is not ready", async () => {
    const s = sb();
    const store = new SharedMemoryStore({ projectRoot: s.root, gcInterval: 0 });
    s.defer(() => store.shutdown());
    expect(store.ready).toBe(false);
    const err = await expectRejectCode(store.get('k'), 'STORE_NOT_READY');
    expect(err.message).toContain('init()');
    await expectRejectCode(store.set('k', 1), 'STORE_NOT_READY');
    await expectRejectCode(store.getStats(), 'STORE_NOT_READY');
    expect(existsSync(s.hiveMind)).toBe(false); // nothing opened before init()
    const opening = store.init();
    await expectRejectCode(store.keys(), 'STORE_NOT_READY');
    await Promise.all([opening, store.init()]);
    expect(store.ready).toBe(true);
    await store.set('k', 1);
    expect(await store.get('k')).toBe(1);
  });

  it('a store that cannot open fails with STORE_OPEN_FAILED, stays not ready, and can retry', async () => {
    const s = sb();
    writeFileSync(join(s.root, '.hive-mind'), 'a file where the folder should be');
    const store = new SharedMemoryStore({ projectRoot: s.root, gcInterval: 0 });
    s.defer(() => store.shutdown());
    const err = await expectRejectCode(store.init(), 'STORE_OPEN_FAILED');
    expect(err.message).toContain('.hive-mind');
    await expectRejectCode(store.get('k'), 'STORE_NOT_READY');
    await expectRejectCode(SharedMemoryStore.open({ projectRoot: s.root }), 'STORE_OPEN_FAILED');
  });

  it('bad options fail at once with STORE_INVALID_OPTION naming the option', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ cacheSize: 1 }, 'cacheSize'],
      [{ maxValueSize: 0 }, 'maxValueSize'],
      [{ gcInterval: -1 }, 'gcInterval'],
      [{ cache: { maxEntries: 0 } }, 'cache.maxEntries'],
      [{ cache: { ttl: 5 } }, 'cache.ttl'],
      [{ clock: 5 }, 'clock'],
      [{ defaultNamespace: '' }, 'defaultNamespace'],
      [{ pool: { filename: 'x.db' } }, 'pool.filename'],
      [{ atomic: { maxAttempts: 0 } }, 'atomic.maxAttempts'],
    ];
    for (const [options, name] of bad) {
      let caught: { code?: string; message?: string } | undefined;
      try {
        new SharedMemoryStore(options as never);
      } catch (e) {
        caught = e as typeof caught;
      }
      expect(caught?.code, name).toBe('STORE_INVALID_OPTION');
      expect(caught?.message, name).toContain(name);
    }
  });

  it("passes the seed's pool options through to the pool", async () => {
    const s = sb();
    await expectRejectCode(
      SharedMemoryStore.open({ projectRoot: s.root, maxConnections: 0 }),
      'STORE_INVALID_OPTION',
    ).then((e) => expect((e.cause as { code: string }).code).toBe('POOL_INVALID_OPTION'));
    const store = await s.open({
      maxConnections: 3,
      minConnections: 1,
      enableWAL: true,
      pool: { busyTimeout: 50 },
    });
    await store.set('k', 1);
    expect(await store.get('k')).toBe(1);
  });
});

describe('shutdown()', () => {
  it('flushes, checkpoints the WAL (TRUNCATE), closes; idempotent; later calls fail with STORE_CLOSED', async () => {
    const s = sb();
    const store = await s.open({ flushInterval: 0 });
    for (let i = 0; i < 200; i++) await store.set(`k${i}`, { i, pad: 'x'.repeat(200) });
    await store.get('k1', { agentId: 'reader' });
    const wal = join(s.hiveMind, 'memory.db-wal');
    expect(statSync(wal).size).toBeGreaterThan(0);
    const first = store.shutdown();
    expect(store.shutdown()).toBe(first);
    await first;
    await store.shutdown();
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect(store.ready).toBe(false);
    expect(store.stats()).toMatchObject({ closed: true, pendingAccessRecords: 0 });
    for (const call of [
      () => store.get('k1'),
      () => store.set('k1', 1),
      () => store.delete('k1'),
      () => store.keys(),
      () => store.list(),
      () => store.count(),
      () => store.increment('n'),
      () => store.setBulk([]),
      () => store.getStats(),
      () => store.touch('k1', 10),
      () => store.clear(),
      () => store.atomic('k1', () => 1),
      () => store.batch().set('a', 1).commit(),
      () => store.flush(),
      () => store.sweepExpired(),
      () => store.init(),
    ]) {
      await expectRejectCode(call(), 'STORE_CLOSED');
    }
    // What was buffered before shutdown reached the disk.
    expect(
      await s.inspect().get("SELECT access_count FROM shared_memory WHERE key = 'k1'"),
    ).toEqual({ access_count: 1 });
    expect(
      await s.inspect('hive').get('SELECT agent_id, memory_key, access_type FROM agent_memory'),
    ).toEqual({
      agent_id: 'reader',
      memory_key: 'shared_state:k1',
      access_type: 'read',
    });
  });

  it('waits for writes in flight', async () => {
    const s = sb();
    const store = await s.open();
    const writes = Array.from({ length: 100 }, (_, i) => store.set(`k${i}`, i));
    await store.shutdown();
    expect((await Promise.allSettled(writes)).every((r) => r.status === 'fulfilled')).toBe(true);
    expect((await s.rows()).length).toBe(100);
  });

  it('a shutdown during init() leaves nothing open', async () => {
    const s = sb();
    const store = new SharedMemoryStore({ projectRoot: s.root });
    const opening = store.init();
    await store.shutdown();
    await expectRejectCode(opening, 'STORE_CLOSED');
    await expectRejectCode(store.get('k'), 'STORE_CLOSED');
  });

  it('a process exits on its own, whether it shuts its store down or not (every timer is unref’d)', async () => {
    const s = sb();
    for (const mode of ['shutdown', 'leave-open']) {
      const child = spawnChild('lifecycle.mjs', [s.root, mode]);
      const started = Date.now();
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(0);
      expect(child.lines).toEqual(['written']);
      expect(Date.now() - started).toBeLessThan(15_000);
    }
    const store = await s.open();
    expect(await store.get('written')).toMatchObject({ by: expect.any(Number) });
  }, 40_000);
});
