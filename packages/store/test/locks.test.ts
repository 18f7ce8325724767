import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnChild } from './helpers/children.js';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: { code?: string }) => err.code,
  );

describe('locks (leases with fencing tokens in memory.db)', () => {
  it('acquire, refuse another agent, release by the holder only, tokens increasing per key', async () => {
    const store = await sb().open();
    const a = await store.acquireLock('job', 'a', { ttl: 10_000 });
    expect(a.token).toBe(1);
    expect(a.expiresAt).toBeGreaterThan(Date.now() + 5000);
    const err = await store.acquireLock('job', 'b').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_LOCK_HELD', details: { holder: 'a' } });
    expect(await store.releaseLock('job', 'b')).toBe(false); // never another's
    expect(await store.releaseLock('job', 'a')).toBe(true);
    expect(await store.releaseLock('job', 'a')).toBe(false); // released already
    const b = await store.acquireLock('job', 'b');
    expect(b.token).toBe(2); // the row stayed: the token goes on
    // Another key, another namespace: their own tokens.
    expect((await store.acquireLock('job', 'a', { namespace: 'other' })).token).toBe(1);
    expect((await store.acquireLock('other-job', 'a')).token).toBe(1);
  });

  it('renewLock keeps the token and moves the expiry; a lost lease is STORE_LOCK_NOT_HELD', async () => {
    const store = await sb().open();
    const lease = await store.acquireLock('job', 'a', { ttl: 100 });
    const renewed = await store.renewLock('job', 'a', { ttl: 60_000 });
    expect(renewed.token).toBe(lease.token);
    expect(renewed.expiresAt).toBeGreaterThan(lease.expiresAt);
    expect(await codeOf(store.renewLock('job', 'b'))).toBe('STORE_LOCK_NOT_HELD');
    await store.releaseLock('job', 'a');
    expect(await codeOf(store.renewLock('job', 'a'))).toBe('STORE_LOCK_NOT_HELD');
  });

  it('an expired lease can be taken; wait polls until then, and a bounded wait times out', async () => {
    const store = await sb().open();
    const first = await store.acquireLock('job', 'a', { ttl: 300 });
    expect(await codeOf(store.acquireLock('job', 'b', { wait: 50 }))).toBe('STORE_LOCK_TIMEOUT');
    const second = await store.acquireLock('job', 'b', { wait: 5000 });
    expect(second.token).toBe(first.token + 1);
    expect(Date.now()).toBeGreaterThanOrEqual(first.expiresAt);
    expect(await store.releaseLock('job', 'a')).toBe(false); // a's lease is gone
  });

  it('set with a fencingToken older than the newest is STORE_STALE_TOKEN and writes nothing', async () => {
    const store = await sb().open();
    const old = await store.acquireLock('k', 'a', { ttl: 60_000 });
    await store.set('k', 'v1', { fencingToken: old.token });
    await store.releaseLock('k', 'a');
    const next = await store.acquireLock('k', 'b');
    const err = await store.set('k', 'stale', { fencingToken: old.token }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'STORE_STALE_TOKEN',
      details: { token: old.token, newest: next.token },
    });
    expect(await store.get('k')).toBe('v1');
    expect((await store.set('k', 'v2', { fencingToken: next.token })).version).toBe(2);
    // The same in a batch and in setBulk: nothing of the batch is applied.
    await expect(
      store.batch().set('other', 1).set('k', 'x', { fencingToken: old.token }).commit(),
    ).rejects.toMatchObject({ code: 'STORE_STALE_TOKEN' });
    expect(await store.get('other')).toBeNull();
    const [bulk] = await store.setBulk([
      { key: 'k', value: 'y', options: { fencingToken: old.token } },
    ]);
    expect(bulk).toMatchObject({ success: false, error: { code: 'STORE_STALE_TOKEN' } });
    expect(await store.get('k')).toBe('v2');
  });

  it("lock: true writes only while the agent holds the key's lock; a live locked entry yields to its holder", async () => {
    const store = await sb().open();
    await store.set('plan', 'v1', { dataType: 'locked' });
    expect(await codeOf(store.set('plan', 'blind'))).toBe('STORE_LOCKED');
    expect(await codeOf(store.set('plan', 'x', { lock: true, agentId: 'a' }))).toBe(
      'STORE_LOCK_NOT_HELD',
    );
    const { token } = await store.acquireLock('plan', 'a');
    expect(await codeOf(store.set('plan', 'x', { lock: true, agentId: 'b' }))).toBe(
      'STORE_LOCK_HELD',
    );
    expect(await store.get('plan')).toBe('v1');
    await store.set('plan', 'v2', { lock: true, agentId: 'a', dataType: 'locked' });
    await store.set('plan', 'v3', { fencingToken: token, dataType: 'locked' });
    expect(await store.get('plan')).toBe('v3');
    expect(await codeOf(store.set('plan', 'x', { lock: true }))).toBe('STORE_INVALID_ARGUMENT');
    expect(await codeOf(store.set('plan', 'x', { fencingToken: 0 }))).toBe(
      'STORE_INVALID_ARGUMENT',
    );
    expect(await codeOf(store.acquireLock('plan', ''))).toBe('STORE_INVALID_ARGUMENT');
    expect(await codeOf(store.acquireLock('plan', 'a', { ttl: 0 }))).toBe('STORE_INVALID_ARGUMENT');
  });

  it('two processes contend for one lock 1000 times each: never both holding it, tokens strictly increasing', async () => {
    const s = sb();
    const store = await s.open();
    const marker = path.join(s.root, 'inside.marker');
    const log = path.join(s.root, 'tokens.log');
    const rounds = 1000;
    const children = ['p1', 'p2'].map((agent) =>
      spawnChild('locker.mjs', [s.root, agent, String(rounds), marker, log, '10000']),
    );
    await Promise.all(children.map((c) => c.waitForLine((l) => l === 'ready', 30_000)));
    for (const c of children) c.send('go');
    const results = await Promise.all(
      children.map((c) => c.waitForLine((l) => /^(done|violation)/.test(l), 60_000)),
    );
    expect(results).toEqual([`done ${rounds}`, `done ${rounds}`]);
    const entries = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(entries).toHaveLength(2 * rounds);
    // Appended while holding the lock, so the file is the time order of the holds.
    const tokens = entries.map(([, t]) => Number(t));
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
    expect(new Set(entries.map(([agent]) => agent))).toEqual(new Set(['p1', 'p2']));
    expect(fs.existsSync(marker)).toBe(false);
    // Every fenced write went through: version = holds.
    const row = await s
      .inspect()
      .get<{ version: number }>(
        "SELECT version FROM shared_memory WHERE namespace = 'shared_state' AND key = 'L'",
      );
    expect(row?.version).toBe(2 * rounds);
    await Promise.all(children.map((c) => c.exited));
    await store.shutdown();
  }, 90_000);

  it('a holder killed with SIGKILL loses the lock at its TTL, and its stale token is refused', async () => {
    const s = sb();
    const store = await s.open();
    const child = spawnChild('holder.mjs', [s.root, 'doomed', '1500']);
    const line = await child.waitForLine((l) => l.startsWith('holding'), 30_000);
    const [, token, expiresAt] = line.split(' ').map(Number);
    child.process.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    expect(await store.get('fenced')).toBe('written by doomed');
    if (Date.now() < expiresAt!)
      await expect(store.acquireLock('fenced', 'heir')).rejects.toMatchObject({
        code: 'STORE_LOCK_HELD',
        details: { holder: 'doomed' },
      });
    const heir = await store.acquireLock('fenced', 'heir', { wait: 10_000 });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt!);
    expect(heir.token).toBe(token! + 1);
    await expect(store.set('fenced', 'late write', { fencingToken: token! })).rejects.toMatchObject(
      { code: 'STORE_STALE_TOKEN', details: { newest: heir.token } },
    );
    expect(await store.get('fenced')).toBe('written by doomed');
    await store.set('fenced', 'written by heir', { fencingToken: heir.token });
    expect(await store.get('fenced')).toBe('written by heir');
  }, 60_000);
});
