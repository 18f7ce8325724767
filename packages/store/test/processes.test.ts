import { describe, expect, it } from 'vitest';
import { runChild, spawnChild } from './helpers/children.js';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

describe('many processes on one store', () => {
  it('8 processes × 500 increments on the same 5 counters end with exact totals', async () => {
    const s = sb();
    const store = await s.open(); // creates and migrates the databases once, before the race
    const children = Array.from({ length: 8 }, () =>
      spawnChild('incrementer.mjs', [s.root, '5', '500', '8']),
    );
    await Promise.all(children.map((c) => c.waitForLine((l) => l === 'ready', 30_000)));
    for (const c of children) c.send('go');
    const exits = await Promise.all(children.map((c) => c.exited));
    exits.forEach((e, i) => {
      expect(e.code, children[i]!.stderr()).toBe(0);
    });
    const totals = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => store.get(`c${i}`, { namespace: 'counters' })),
    );
    expect(totals).toEqual([800, 800, 800, 800, 800]);
    // 4000 increments, 4000 versions: no write was lost or counted twice.
    const rows = await s.rows();
    expect(rows.map((r) => r.version)).toEqual([800, 800, 800, 800, 800]);
  }, 60_000);

  it('a compare-and-set race between two processes has exactly one winner, every round', async () => {
    const s = sb();
    const store = await s.open();
    const racers = [spawnChild('racer.mjs', [s.root]), spawnChild('racer.mjs', [s.root])];
    await Promise.all(racers.map((c) => c.waitForLine((l) => l === 'ready', 30_000)));
    for (let round = 0; round < 25; round++) {
      const { version } = await store.set('race', `round ${round}`, { namespace: 'races' });
      const from = racers.map((c) => c.lines.length);
      racers.forEach((c, i) => {
        c.send(`try ${version} r${round}p${i}`);
      });
      const answers = await Promise.all(
        racers.map((c, i) =>
          c.waitForLine((l) => l.startsWith('won') || l.startsWith('lost'), 20_000, from[i]),
        ),
      );
      const winners = answers.filter((a) => a.startsWith('won'));
      expect(winners, `round ${round}: ${answers.join(', ')}`).toHaveLength(1);
      expect(answers.find((a) => a.startsWith('lost'))).toBe('lost STORE_VERSION_CONFLICT');
      // The parent sees the winner's value, not its own cached one.
      expect(await store.get('race', { namespace: 'races' })).toBe(winners[0]!.slice(4));
    }
    for (const c of racers) c.send('quit');
    await Promise.all(racers.map((c) => c.exited));
  }, 60_000);
});

describe('cache coherence across processes', () => {
  it("a value written by a child process is what the parent's next get returns, never a stale cached one", async () => {
    const s = sb();
    const store = await s.open();
    await store.set('shared', 'parent v1');
    for (let i = 0; i < 3; i++) {
      // Read twice: the second read is a cache hit.
      expect(await store.get('shared')).toBe(i === 0 ? 'parent v1' : `child v${i}`);
      expect(await store.get('shared')).toBe(i === 0 ? 'parent v1' : `child v${i}`);
      await runChild('writer.mjs', [s.root, 'set', 'shared', JSON.stringify(`child v${i + 1}`)]);
      expect(await store.get('shared')).toBe(`child v${i + 1}`);
    }
    expect(store.stats().cache!.hits).toBeGreaterThan(0);
    // A delete by another process is seen too: the cached value is not served.
    expect(await store.get('shared')).toBe('child v3');
    await runChild('writer.mjs', [s.root, 'delete', 'shared']);
    expect(await store.get('shared')).toBeNull();
  }, 60_000);
});
