// The query-interrupt extension (native/hivedb_interrupt.c) and its loader (src/interrupt.ts),
// on raw better-sqlite3 connections to real files in a temp folder.
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  INTERRUPT_UNAVAILABLE_WARNING,
  type Interrupter,
  interruptExtensionPath,
  interruptSupport,
  isInterruptError,
  loadInterrupter,
  toQueryTimeout,
  withDeadline,
} from '../src/interrupt.js';

const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');
const BETTER_SQLITE3 = createRequire(join(PKG, 'package.json')).resolve('better-sqlite3');

/** A recursive CTE counting to ?: pure CPU in one sqlite3_step(), no I/O. */
const COUNT_SQL =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) FROM c';

let dir: string;
const open: Database.Database[] = [];
/** Rows per millisecond the counting CTE runs at here (calibrated once). */
let rowsPerMs = 0;

function connect(name = 'interrupt.db'): Database.Database {
  const db = new Database(join(dir, name));
  db.pragma('journal_mode = WAL');
  open.push(db);
  return db;
}

function mustLoad(db: Database.Database): Interrupter {
  const it = loadInterrupter(db);
  if (!it) throw new Error(`query-interrupt extension unavailable: ${interruptSupport().reason}`);
  return it;
}

/** The rows that make the counting CTE run about `ms` milliseconds. */
function rowsFor(ms: number): number {
  return Math.round(rowsPerMs * ms);
}

/** Threads of this process named by the extension (Linux only; undefined elsewhere). */
function watchdogThreads(): number | undefined {
  try {
    return readdirSync('/proc/self/task').filter((t) => {
      try {
        return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'hivedb-watchdog';
      } catch {
        return false;
      }
    }).length;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hivedb-interrupt-'));
  const db = new Database(':memory:');
  const stmt = db.prepare(COUNT_SQL).pluck();
  stmt.get(200_000); // warm up
  const n = 2_000_000;
  const t0 = performance.now();
  stmt.get(n);
  rowsPerMs = n / (performance.now() - t0);
  db.close();
  console.log(
    `[interrupt] counting CTE: ${Math.round(rowsPerMs * 1000).toLocaleString('en')} rows/s; a 10 s query counts to ${rowsFor(10_000).toLocaleString('en')}`,
  );
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('query-interrupt extension', () => {
  it('is built by the install step and reports itself available', () => {
    const support = interruptSupport();
    expect(support, support.reason).toMatchObject({ available: true });
    expect(support.path).toBe(interruptExtensionPath());
    expect(support.path).toBe(join(PKG, 'build', 'Release', 'hivedb_interrupt.so'));
    // An edited C file needs `npm run build:native` (the install step builds it only once).
    const source = statSync(join(PKG, 'native', 'hivedb_interrupt.c')).mtimeMs;
    expect(
      statSync(support.path!).mtimeMs,
      'build/Release/hivedb_interrupt.so is older than native/hivedb_interrupt.c: run `npm run build:native` in packages/pool',
    ).toBeGreaterThanOrEqual(source);
  });

  it('stops a 10 s query armed at 200 ms in under 1 s; the connection answers next; the CPU is idle after', async () => {
    const db = connect();
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    db.prepare('INSERT INTO t (v) VALUES (?)').run('kept');
    const it = mustLoad(db);
    const long = db.prepare(COUNT_SQL).pluck();

    const t0 = performance.now();
    let caught: unknown;
    try {
      withDeadline(it, 200, () => long.get(rowsFor(10_000)));
    } catch (err) {
      caught = err;
    }
    const elapsed = performance.now() - t0;
    console.log(
      `[interrupt] 10 s query, 200 ms deadline: ended after ${elapsed.toFixed(1)} ms (${(elapsed - 200).toFixed(1)} ms past the deadline)`,
    );
    expect(elapsed).toBeLessThan(1000);
    expect(elapsed).toBeGreaterThanOrEqual(199);
    expect(caught).toMatchObject({
      name: 'HiveDbError',
      code: 'POOL_QUERY_TIMEOUT',
      sqliteCode: 'SQLITE_INTERRUPT',
      details: { timeoutMs: 200 },
    });
    expect((caught as Error).cause).toMatchObject({
      name: 'SqliteError',
      code: 'SQLITE_INTERRUPT',
    });
    expect(it.stats()).toMatchObject({ armed: false, fired: false, thread: true });

    // The same connection answers the next queries.
    expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual(['kept']);
    expect(long.get(1000)).toBe(1000);

    // Nothing keeps running: the process's CPU time over the next second is near zero.
    const cpu0 = process.cpuUsage();
    await sleep(1000);
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(`[interrupt] CPU time in the second after the timeout: ${cpuMs.toFixed(1)} ms`);
    expect(cpuMs).toBeLessThan(100);
  });

  it('maps SQLITE_INTERRUPT to POOL_QUERY_TIMEOUT', () => {
    const db = connect();
    const it = mustLoad(db);
    it.arm(0);
    let raw: unknown;
    try {
      db.prepare(COUNT_SQL).pluck().get(rowsFor(10_000));
    } catch (err) {
      raw = err;
    }
    expect(it.disarm()).toBe(true);
    expect(isInterruptError(raw)).toBe(true);
    const mapped = toQueryTimeout(raw, 250, 'all');
    expect(mapped).toMatchObject({
      code: 'POOL_QUERY_TIMEOUT',
      sqliteCode: 'SQLITE_INTERRUPT',
      details: { timeoutMs: 250 },
    });
    expect(mapped.cause).toBe(raw);
    expect(mapped.message).toMatch(/^all: .*250 ms/);
    expect(isInterruptError(new Error('x'))).toBe(false);
  });

  it('an interrupted write inside BEGIN IMMEDIATE is rolled back; committed rows stay; another writer proceeds', () => {
    const db = connect('write.db');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 1; i <= 100; i++) insert.run(i);
    })();
    const it = mustLoad(db);

    db.exec('BEGIN IMMEDIATE');
    insert.run(-1);
    insert.run(-2);
    const bulk = db.prepare(
      'INSERT INTO t (v) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT x FROM c',
    );
    const t0 = performance.now();
    let caught: unknown;
    try {
      withDeadline(it, 200, () => bulk.run(rowsFor(60_000)));
    } catch (err) {
      caught = err;
    }
    const elapsed = performance.now() - t0;
    console.log(
      `[interrupt] bulk INSERT in BEGIN IMMEDIATE, 200 ms deadline: ended after ${elapsed.toFixed(1)} ms; inTransaction=${db.inTransaction}`,
    );
    expect(caught).toMatchObject({ code: 'POOL_QUERY_TIMEOUT', sqliteCode: 'SQLITE_INTERRUPT' });
    expect(elapsed).toBeLessThan(1000);
    // SQLite rolls the whole transaction back when it interrupts a write; roll back if it did not.
    if (db.inTransaction) db.exec('ROLLBACK');
    expect(db.inTransaction).toBe(false);

    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(100);
    expect(db.prepare('SELECT sum(v) FROM t').pluck().get()).toBe(5050);
    expect(db.prepare('SELECT count(*) FROM t WHERE v < 0').pluck().get()).toBe(0);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');

    // The write lock is free: a second connection writes at once (no busy wait).
    const other = connect('write.db');
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    other.prepare('INSERT INTO t (v) VALUES (?)').run(101);
    other.exec('COMMIT');
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(101);
    // And the interrupted connection writes again too.
    insert.run(102);
    expect(db.prepare('SELECT max(v) FROM t').pluck().get()).toBe(102);
  });

  it('a disarmed deadline never interrupts a later statement', () => {
    const db = connect();
    const it = mustLoad(db);
    const count = db.prepare(COUNT_SQL).pluck();

    // Armed at 50 ms around a fast query, disarmed: a 500 ms query afterwards runs to its end.
    it.arm(50);
    expect(count.get(10)).toBe(10);
    expect(it.disarm()).toBe(false);
    const n = rowsFor(500);
    const t0 = performance.now();
    expect(count.get(n)).toBe(n);
    console.log(
      `[interrupt] a ${(performance.now() - t0).toFixed(0)} ms query after a disarmed 50 ms deadline: not interrupted`,
    );

    // The race edge: deadlines of 0–300 µs around a tiny query, so that the watchdog often fires
    // just as the query finishes or while disarm runs. After disarm, an unarmed query is never hit.
    const small = rowsFor(0.3);
    let interrupted = 0;
    let firedAfterFinish = 0;
    const rounds = 3000;
    for (let i = 0; i < rounds; i++) {
      it.arm(Math.random() * 0.3);
      let failed = false;
      try {
        count.get(small);
      } catch (err) {
        if (!isInterruptError(err)) throw err;
        failed = true;
        interrupted++;
      }
      if (it.disarm() && !failed) firedAfterFinish++;
      expect(count.get(small)).toBe(small); // must never throw SQLITE_INTERRUPT
    }
    console.log(
      `[interrupt] race edge, ${rounds} rounds: ${interrupted} queries interrupted, ${firedAfterFinish} deadlines fired after their query finished; 0 later queries hit`,
    );
    expect(interrupted + firedAfterFinish).toBeGreaterThan(0); // the edge was really exercised
  });

  it('a deadline that passes between statements still stops the next statement (the watchdog re-fires)', async () => {
    const db = connect();
    const it = mustLoad(db);
    it.arm(20);
    await sleep(60); // the deadline passes while no statement runs: SQLite would drop one interrupt
    const t0 = performance.now();
    expect(() => db.prepare(COUNT_SQL).pluck().get(rowsFor(10_000))).toThrow(
      expect.objectContaining({ code: 'SQLITE_INTERRUPT' }),
    );
    const elapsed = performance.now() - t0;
    expect(it.disarm()).toBe(true);
    expect(elapsed).toBeLessThan(100);
    console.log(
      `[interrupt] statement started after its deadline stopped in ${elapsed.toFixed(2)} ms`,
    );
    expect(db.prepare(COUNT_SQL).pluck().get(100)).toBe(100);
  });

  it('arm + disarm is cheap and wakes the watchdog rarely', () => {
    const db = connect();
    const it = mustLoad(db);
    it.arm(1000);
    it.disarm();
    const before = it.stats();
    const pairs = 200_000;
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let i = 0; i < pairs; i++) {
        it.arm(1000);
        it.disarm();
      }
      best = Math.min(best, ((performance.now() - t0) * 1000) / pairs);
    }
    const after = it.stats();
    // For scale: two prepared `SELECT 1` calls, the floor of any two statements here.
    const one = db.prepare('SELECT 1').pluck();
    const t1 = performance.now();
    for (let i = 0; i < pairs; i++) {
      one.get();
      one.get();
    }
    const floor = ((performance.now() - t1) * 1000) / pairs;
    console.log(
      `[interrupt] arm+disarm pair: ${best.toFixed(3)} µs (two bare SELECT 1: ${floor.toFixed(3)} µs); watchdog wake-ups over ${(3 * pairs).toLocaleString('en')} pairs: ${after.wakeups - before.wakeups}, signals: ${after.signals - before.signals}`,
    );
    expect(best).toBeLessThan(5);
    expect(after.wakeups - before.wakeups).toBeLessThan(100);
  });

  it('rejects a bad deadline', () => {
    const it = mustLoad(connect());
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => it.arm(bad)).toThrow(expect.objectContaining({ code: 'POOL_INVALID_ARGUMENT' }));
    }
    expect(it.stats().armed).toBe(false);
  });

  it('one thread per connection, started lazily, joined when the connection closes', async () => {
    const base = watchdogThreads();
    const a = connect();
    const b = connect();
    const ia = mustLoad(a);
    const ib = mustLoad(b);
    expect(loadInterrupter(a)).toBe(ia); // cached per connection
    expect(ia.stats().thread).toBe(false);
    if (base !== undefined) expect(watchdogThreads()).toBe(base);

    ia.arm(60_000); // alive, sleeping towards a far deadline
    ib.arm(0); // alive, past its deadline, re-firing every millisecond
    await sleep(20);
    expect(ib.stats().fires).toBeGreaterThan(1);
    if (base !== undefined) expect(watchdogThreads()).toBe(base + 2);

    // Loading the extension again into a connection replaces its functions: the old watchdog is
    // destroyed with them (its thread joined) and the new one starts at its first arm.
    b.loadExtension(interruptExtensionPath());
    if (base !== undefined) expect(watchdogThreads()).toBe(base + 1);

    const t0 = performance.now();
    a.close();
    b.close();
    const closeMs = performance.now() - t0;
    if (base !== undefined) expect(watchdogThreads()).toBe(base);
    console.log(
      `[interrupt] closing two connections with live watchdogs: ${closeMs.toFixed(2)} ms`,
    );
    expect(closeMs).toBeLessThan(100);
  });

  it('processes exit cleanly with armed watchdogs and open connections (main thread and workers)', () => {
    const file = join(dir, 'child.db');
    const so = interruptExtensionPath();
    const script = `
      const Database = require(${JSON.stringify(BETTER_SQLITE3)});
      const { Worker } = require('node:worker_threads');
      const mode = process.argv[1];
      const db = new Database(${JSON.stringify(file)});
      db.loadExtension(${JSON.stringify(so)});
      db.prepare('SELECT hivedb_deadline_arm(60000)').get();
      const fired = new Database(':memory:');
      fired.loadExtension(${JSON.stringify(so)});
      fired.prepare('SELECT hivedb_deadline_arm(0)').get(); // re-firing until exit
      // A worker owning an armed connection: it stops a long query, then stays armed.
      const w = new Worker(\`
        const Database = require(${JSON.stringify(BETTER_SQLITE3)});
        const db = new Database(${JSON.stringify(file)});
        db.loadExtension(${JSON.stringify(so)});
        db.prepare('SELECT hivedb_deadline_arm(100)').get();
        let code = 'none';
        try { db.prepare(${JSON.stringify(COUNT_SQL)}).get(1e12); } catch (e) { code = e.code; }
        db.prepare('SELECT hivedb_deadline_arm(60000)').get();
        require('node:worker_threads').parentPort.postMessage(code);
        setInterval(() => {}, 1000);
      \`, { eval: true });
      w.on('message', async (code) => {
        console.log('worker: ' + code);
        if (mode === 'exit') process.exit(0);
        await w.terminate();
        console.log('terminated');
        // natural exit: nothing keeps the loop alive; both connections are still open and armed
      });
    `;
    for (const mode of ['natural', 'exit']) {
      const res = spawnSync(process.execPath, ['-e', script, mode], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(res.stderr).toBe('');
      expect({ mode, status: res.status, signal: res.signal }).toEqual({
        mode,
        status: 0,
        signal: null,
      });
      expect(res.stdout).toContain('worker: SQLITE_INTERRUPT');
      if (mode === 'natural') expect(res.stdout).toContain('terminated');
    }
  });

  it('degrades to null with ONE process warning when the extension is missing or broken', () => {
    const script = `
      import Database from ${JSON.stringify(BETTER_SQLITE3)};
      const { loadInterrupter, interruptSupport } = await import(process.argv[1]);
      const warnings = [];
      process.on('warning', (w) => warnings.push({ code: w.code, name: w.name, message: w.message }));
      const missing = ${JSON.stringify(join(dir, 'missing.so'))};
      const broken = ${JSON.stringify(join(dir, 'broken.so'))};
      const a = loadInterrupter(new Database(':memory:'), { extensionPath: missing });
      const b = loadInterrupter(new Database(':memory:'), { extensionPath: broken });
      const c = loadInterrupter(new Database(':memory:'), { extensionPath: missing });
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ results: [a, b, c], warnings,
        missing: interruptSupport({ extensionPath: missing }), broken: interruptSupport({ extensionPath: broken }) }));
    `;
    writeFileSync(join(dir, 'broken.so'), 'not a shared library');
    // The loader is TypeScript: run it through the same transform vitest uses is overkill; the
    // child imports a throwaway ESM build of it instead.
    const built = buildLoaderForChild();
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script, built], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
    expect(out.results).toEqual([null, null, null]);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatchObject({
      code: INTERRUPT_UNAVAILABLE_WARNING,
      name: 'HiveDbWarning',
    });
    expect(out.warnings[0].message).toMatch(/not built .*missing\.so is missing/);
    expect(out.missing).toMatchObject({ available: false });
    expect(out.broken.available).toBe(false);
    expect(out.broken.reason).toMatch(/broken\.so did not load/);
    // Node prints the one warning on stderr.
    expect(res.stderr.match(/HiveDbWarning/g)).toHaveLength(1);
  });
});

/**
 * Writes an ESM copy of src/interrupt.ts (and src/errors.ts) with the types stripped, for a
 * child process. TypeScript's own transpiler does it without a bundler.
 */
function buildLoaderForChild(): string {
  const ts = createRequire(join(PKG, 'package.json'))('typescript') as typeof import('typescript');
  const out = join(dir, 'loader');
  rmSync(out, { recursive: true, force: true });
  for (const name of ['interrupt', 'errors']) {
    const source = readFileSync(join(PKG, 'src', `${name}.ts`), 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const file = join(out, `${name}.js`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, js);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  return join(out, 'interrupt.js');
}
