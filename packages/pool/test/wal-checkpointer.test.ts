import { readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { PoolEvents } from '../src/index.js';
import {
  type Child,
  holdWriteLock,
  nextMacrotask,
  sigkill,
  sleep,
  startWalAgent,
  useSandbox,
  waitFor,
} from './helpers/index.js';

const sb = useSandbox();
const MiB = 1024 * 1024;

interface WalLine {
  ev: 'wal';
  checkpointer: boolean;
  walBytes: number;
  maxWalBytes: number;
  overLimit: boolean;
  restarts: number;
}

/** The `wal` lines a WAL agent printed so far. */
function walLines(child: Child): WalLine[] {
  return child.lines
    .filter((l) => l.startsWith('{"ev":"wal"'))
    .map((l) => JSON.parse(l) as WalLine);
}

/** Whether the agent's last `wal` report says it checkpoints (undefined before its first report). */
function leads(child: Child): boolean | undefined {
  const lines = walLines(child);
  return lines.length === 0 ? undefined : lines[lines.length - 1]!.checkpointer;
}

/** Samples the WAL file's size every 100 ms while `during` runs; returns the largest sample. */
async function largestWal(file: string, during: Promise<unknown>): Promise<number> {
  let max = 0;
  let done = false;
  void during.finally(() => {
    done = true;
  });
  while (!done) {
    try {
      max = Math.max(max, statSync(`${file}-wal`).size);
    } catch {
      // no WAL yet
    }
    await sleep(100);
  }
  return max;
}

describe('coordinated checkpoints (walCheckpointer: coordinated, the default)', () => {
  it("turns SQLite's autocheckpoint off on every connection; 'sqlite' mode keeps it", async () => {
    const coordinated = sb().pool({ filename: 'c.db', minConnections: 2 });
    const sqlite = sb().pool({ filename: 's.db', minConnections: 2, walCheckpointer: 'sqlite' });
    for (const [pool, want] of [
      [coordinated, 0],
      [sqlite, 1000],
    ] as const) {
      for (const mode of ['read', 'write'] as const) {
        const lease = await pool.acquire({ mode });
        try {
          expect(lease.raw.pragma('wal_autocheckpoint', { simple: true }), mode).toBe(want);
        } finally {
          lease.release();
        }
      }
    }
    expect(coordinated.stats().wal.mode).toBe('coordinated');
    expect(sqlite.stats().wal.mode).toBe('sqlite');
  });

  it('exactly one process checkpoints a database; when it is SIGKILLed another takes over', async () => {
    const agents = await Promise.all(
      [0, 1, 2].map(() => startWalAgent(sb().root, 'elect.db', 'idle')),
    );
    // Every agent reports once a second whether it leads.
    await waitFor(() => agents.every((a) => walLines(a).length >= 2), 10_000);
    await waitFor(() => agents.filter((a) => leads(a) === true).length === 1, 10_000);
    const leader = agents.find((a) => leads(a) === true)!;
    const others = agents.filter((a) => a !== leader);
    const before = others.map((a) => walLines(a).length);
    await sigkill(leader);
    // The kernel dropped the dead leader's lock; one survivor wins the next election (≤ 250 ms
    // after it tries, and each tries every 125–375 ms) and says so in its next report.
    await waitFor(() => others.filter((a) => leads(a) === true).length === 1, 5000);
    // And only one: the other survivor keeps reporting that it does not lead.
    await waitFor(() => others.every((a, i) => walLines(a).length >= before[i]! + 3), 10_000);
    expect(others.filter((a) => leads(a) === true)).toHaveLength(1);
  });

  it('keeps the WAL under walLimitBytes while processes write and read continually', async () => {
    const options = { walCheckpointBytes: 1 * MiB, walLimitBytes: 8 * MiB };
    const file = sb().file('busy.db');
    const writer = await startWalAgent(sb().root, 'busy.db', 'write', options);
    const readers = await Promise.all(
      [0, 1].map(() => startWalAgent(sb().root, 'busy.db', 'read', options)),
    );
    const max = await largestWal(file, sleep(6000));
    const restarts = [writer, ...readers]
      .flatMap((a) => a.lines)
      .filter((l) => l.startsWith('{"ev":"checkpoint"') && l.includes('"busy":false'));
    // A few MB/s of 2 KiB rows: the WAL passes 1 MiB many times over in 6 s, and is emptied.
    expect(restarts.length).toBeGreaterThan(2);
    expect(max).toBeGreaterThan(1 * MiB);
    expect(max).toBeLessThan(8 * MiB);
  });

  it('a reader that holds a snapshot for seconds pushes the WAL over the limit, and the wal event says so', async () => {
    const options = { walCheckpointBytes: 256 * 1024, walLimitBytes: 1 * MiB };
    const file = sb().file('pinned.db');
    const writer = await startWalAgent(sb().root, 'pinned.db', 'write', options);
    // A reader outside hivedb's reach: its snapshot pins every frame written after it began.
    const raw = sb().raw('pinned.db');
    raw.exec('BEGIN');
    raw.prepare('SELECT count(*) FROM items').get();
    const before = writer.lines.length;
    await waitFor(
      () =>
        writer.lines
          .slice(before)
          .some((l) => l.startsWith('{"ev":"wal"') && l.includes('"overLimit":true')),
      15_000,
    );
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1 * MiB);
    raw.exec('COMMIT');
    // Once it let go, the next RESTART succeeds and the writer starts the WAL over.
    const after = writer.lines.length;
    await waitFor(
      () =>
        writer.lines
          .slice(after)
          .some((l) => l.startsWith('{"ev":"checkpoint"') && l.includes('"busy":false')),
      10_000,
    );
  });

  it('never follows a symlink planted at the election lock: no process checkpoints, and it says why', async () => {
    const target = join(sb().outside, 'victim');
    writeFileSync(target, 'not a database');
    symlinkSync(target, sb().file('linked.db-checkpointer'));
    const errors: PoolEvents['error'][] = [];
    const pool = sb().pool({ filename: 'linked.db' });
    pool.events.on('error', (e) => errors.push(e));
    await pool.run('CREATE TABLE t (x)');
    await waitFor(() => errors.length > 0, 5000);
    expect(String((errors[0]!.error as Error).message)).toMatch(/not a regular file/);
    expect(pool.stats().wal.checkpointer).toBe(false);
    await pool.close();
    expect(await import('node:fs').then((fs) => fs.readFileSync(target, 'utf8'))).toBe(
      'not a database',
    );
  });

  it('a process that never closes its pool still exits by itself (the thread is unref’d)', async () => {
    const agent = await startWalAgent(sb().root, 'exit.db', 'exit');
    await agent.waitForLine((l) => l === 'wrote', 10_000);
    const { code, signal } = await Promise.race([
      agent.exited,
      sleep(10_000).then(() => ({ code: null, signal: 'timeout' as const })),
    ]);
    expect(signal).toBeNull();
    expect(code).toBe(0);
  });

  it('close() stops the checkpointer and gives up the election at once', async () => {
    const first = sb().pool({ filename: 'handover.db' });
    await first.run('CREATE TABLE t (x)');
    const leading = new Promise<void>((resolve) =>
      first.events.on('wal', (e) => e.checkpointer && resolve()),
    );
    await leading;
    await first.close();
    // The lock is free: a plain connection takes it at once.
    const lock = new Database(sb().file('handover.db-checkpointer'), { timeout: 0 });
    try {
      lock.exec('BEGIN IMMEDIATE');
      lock.exec('ROLLBACK');
    } finally {
      lock.close();
    }
  });
});

describe('lock waits and read snapshots', () => {
  it("stats().locks measures the writer's waits for another process's write lock", async () => {
    const pool = sb().pool({ filename: 'wait.db', busyTimeout: 5000 });
    await pool.run('CREATE TABLE t (x)');
    const holder = await holdWriteLock(sb().file('wait.db'), 300);
    const t0 = Date.now();
    await pool.run('INSERT INTO t VALUES (1)');
    const waited = Date.now() - t0;
    await holder.committed;
    const locks = pool.stats().locks;
    expect(locks.waits).toBeGreaterThanOrEqual(1);
    expect(locks.timeouts).toBe(0);
    expect(locks.maxWaitMs).toBeGreaterThan(150);
    expect(locks.maxWaitMs).toBeLessThanOrEqual(waited + 5);
    expect(locks.sleptMs).toBeGreaterThan(150);
  });

  it('a read snapshot ends as soon as reads stop, not at the end of the macrotask', async () => {
    const pool = sb().pool({ filename: 'idle.db', minConnections: 2 });
    await pool.run('CREATE TABLE t (x)');
    await nextMacrotask();
    await pool.get('SELECT count(*) FROM t');
    expect(pool.stats().readers.leased).toBe(1); // the snapshot is open
    for (let i = 0; i < 8; i++) await Promise.resolve(); // other work, no read
    expect(pool.stats().readers.leased).toBe(0);
    // Awaited reads one after another keep sharing one snapshot.
    const before = pool.stats().counters.snapshots;
    for (let i = 0; i < 100; i++) await pool.get('SELECT count(*) FROM t');
    expect(pool.stats().counters.snapshots - before).toBeLessThanOrEqual(2);
  });

  it('a write ends every read snapshot of the process first, whatever its pool', async () => {
    const a = sb().pool({ filename: 'gap.db', minConnections: 2 });
    const b = sb().pool({ filename: 'gap.db', minConnections: 2 });
    await a.run('CREATE TABLE t (x)');
    await nextMacrotask();
    void a.get('SELECT count(*) FROM t');
    expect(a.stats().readers.leased).toBe(1);
    await b.run('INSERT INTO t VALUES (1)');
    expect(a.stats().readers.leased).toBe(0);
  });

  it('the checkpointer leaves no file behind but its election lock', async () => {
    const pool = sb().pool({ filename: 'files.db' });
    await pool.run('CREATE TABLE t (x)');
    await new Promise<void>((resolve) => pool.events.on('wal', (e) => e.checkpointer && resolve()));
    await pool.close();
    // The last connection to close emptied and removed the WAL and its index.
    expect(readdirSync(sb().root).sort()).toEqual(['files.db', 'files.db-checkpointer']);
  });
});
