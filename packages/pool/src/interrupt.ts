/**
 * Query deadlines that stop the SQLite work itself.
 *
 * better-sqlite3 runs every statement synchronously on the caller's thread, is compiled without a
 * progress handler, and a worker's `terminate()` does not stop a running statement. What does stop
 * one is `sqlite3_interrupt()` from another thread: the package's install step builds a small
 * SQLite extension (native/hivedb_interrupt.c → build/Release/hivedb_interrupt.so) that gives each
 * connection a watchdog thread; `arm(ms)` sets a deadline, `disarm()` clears it, and after the
 * deadline the running statement ends with SQLITE_INTERRUPT. See native/README.md.
 *
 * Where the extension could not be built or loaded, `loadInterrupter` returns null and the
 * process gets ONE warning (code HIVEDB_QUERY_INTERRUPT_UNAVAILABLE): query timeouts are then not
 * enforced on running statements. Private to the package; the pool wires it in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { HiveDbError, sqliteCodeOf } from './errors.js';

/** The ABI version this file expects of the extension (HIVEDB_INTERRUPT_ABI in the C file). */
export const INTERRUPT_ABI = 2;

/** The warning's code, emitted at most once per process. */
export const INTERRUPT_UNAVAILABLE_WARNING = 'HIVEDB_QUERY_INTERRUPT_UNAVAILABLE';

/** The extension's file, relative to the package root. */
const EXTENSION_FILE = join('build', 'Release', 'hivedb_interrupt.so');

/** Attempts of arm/disarm that an interrupt from the previous, already past deadline may hit. */
const CONTROL_ATTEMPTS = 5;

/** What the watchdog reports about itself (`hivedb_watchdog_stats()`). */
export interface WatchdogStats {
  /** Whether the connection's watchdog thread is running (it starts at the first arm). */
  readonly thread: boolean;
  /** Whether a deadline is armed. */
  readonly armed: boolean;
  /** Whether the armed deadline has passed and the watchdog interrupted for it. */
  readonly fired: boolean;
  /** Incremented by every arm and disarm. */
  readonly generation: number;
  /** How many times the watchdog called sqlite3_interrupt() (it re-fires every 1 ms until disarm). */
  readonly fires: number;
  /** How many times the thread woke up. */
  readonly wakeups: number;
  /** How many arms had to wake the thread (only those earlier than its current sleep target). */
  readonly signals: number;
}

/** What the extension's busy handler did on one connection (`hivedb_busy_stats()`). */
export interface BusyStats {
  /** Waits begun: the connection found a lock taken. */
  readonly waits: number;
  /** Sleeps between attempts. */
  readonly sleeps: number;
  /** Waits that used their whole budget (the call then failed with SQLITE_BUSY). */
  readonly timeouts: number;
  /** Time spent sleeping in the handler, in ms. */
  readonly sleptMs: number;
  /** The longest single wait, in ms. */
  readonly maxWaitMs: number;
}

/** A connection's deadline control. Cheap: an arm + disarm pair costs well under 1 µs. */
export interface Interrupter {
  /** The extension file it loaded. */
  readonly path: string;
  /**
   * Arms the deadline `ms` milliseconds from now (replacing an armed one). Once it passes, the
   * statement running on this connection, and every statement started until `disarm()`, ends
   * with SQLITE_INTERRUPT. Throws HiveDbError POOL_INVALID_ARGUMENT for a negative or non-finite ms.
   */
  arm(ms: number): void;
  /**
   * Disarms. Returns true when the deadline had passed (the watchdog interrupted for it). Once
   * it returns, no interrupt for this or any earlier deadline can reach a later statement.
   */
  disarm(): boolean;
  /** The watchdog's counters. */
  stats(): WatchdogStats;
  /**
   * Installs the extension's busy handler with a budget of `ms` per wait (it replaces
   * `PRAGMA busy_timeout`): it retries after 250 µs, 500 µs, 1 ms, 2 ms, then every 4 ms, so a waiter
   * takes a lock soon after it is freed instead of sleeping through SQLite's 1–100 ms steps.
   * With `stepUs`, it retries every `stepUs` µs instead.
   */
  setBusyTimeout(ms: number, stepUs?: number): void;
  /** What the busy handler did on this connection. */
  busyStats(): BusyStats;
}

/** Whether the extension can be used in this process. */
export interface InterruptSupport {
  readonly available: boolean;
  /** Why not, when it is not available. */
  readonly reason?: string;
  /** The extension file it looks for (or loaded). */
  readonly path?: string;
}

/** Options of `loadInterrupter` and `interruptSupport`. */
export interface InterruptOptions {
  /** Another build of the extension (tests); defaults to the package's build/Release file. */
  readonly extensionPath?: string;
}

const interrupters = new WeakMap<BetterSqlite3.Database, Interrupter>();
/** Failures seen when loading, by extension path: `interruptSupport` reports them. */
const loadFailures = new Map<string, string>();
let packageRoot: string | undefined;

/** The folder of this module: dist/ when built (ESM or CJS), src/ under vitest. */
function moduleDir(): string {
  // The CJS build has __dirname; ESM (the build and vitest) has import.meta.url.
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}

/** The nearest folder above this module whose package.json is @hivedb/pool's. */
function findPackageRoot(): string {
  if (packageRoot !== undefined) return packageRoot;
  const start = moduleDir();
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === '@hivedb/pool') {
          packageRoot = dir;
          return dir;
        }
      } catch {
        // An unreadable manifest is not ours; keep looking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  packageRoot = dirname(start);
  return packageRoot;
}

/** The path of the built extension (whether or not it exists). */
export function interruptExtensionPath(): string {
  return join(findPackageRoot(), EXTENSION_FILE);
}

/**
 * Whether query deadlines can be enforced: the extension exists and has not failed to load.
 *
 * @example
 * const s = interruptSupport(); if (!s.available) console.warn(s.reason);
 */
export function interruptSupport(options: InterruptOptions = {}): InterruptSupport {
  const path = options.extensionPath ?? interruptExtensionPath();
  const failure = loadFailures.get(path);
  if (failure !== undefined) return { available: false, reason: failure, path };
  if (process.platform === 'win32') {
    return {
      available: false,
      reason: 'not supported on Windows yet (the watchdog uses pthreads)',
      path,
    };
  }
  if (!existsSync(path)) {
    return {
      available: false,
      reason: `the query-interrupt extension was not built (${path} is missing; the install step prints why, see build/hivedb-interrupt-build.log; rebuild with \`npm run build:native\` in @hivedb/pool)`,
      path,
    };
  }
  return { available: true, path };
}

const WARNED = Symbol.for('hivedb.pool.interruptUnavailableWarned');

/**
 * Marks the warning as given in this thread. An offload worker calls it before it opens its
 * connection: the pool's own thread has already warned, and the process gets one warning.
 */
export function silenceInterruptWarning(): void {
  (globalThis as { [WARNED]?: boolean })[WARNED] = true;
}

/** One warning per process, even when both the ESM and the CJS build are loaded. */
function warnOnce(reason: string): void {
  const g = globalThis as { [WARNED]?: boolean };
  if (g[WARNED]) return;
  g[WARNED] = true;
  process.emitWarning(
    `@hivedb/pool: query timeouts cannot stop running statements: ${reason}. ` +
      'A timed-out query will run to its end (its caller still gets POOL_QUERY_TIMEOUT).',
    { code: INTERRUPT_UNAVAILABLE_WARNING, type: 'HiveDbWarning' },
  );
}

/** Runs one control statement, retrying while an interrupt from a past deadline hits it. */
function control<T>(stmt: BetterSqlite3.Statement, args: unknown[]): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return stmt.get(...args) as T;
    } catch (err) {
      if (attempt >= CONTROL_ATTEMPTS || sqliteCodeOf(err) !== 'SQLITE_INTERRUPT') throw err;
    }
  }
}

/**
 * Loads the query-interrupt extension into `db` and returns its deadline control, or null (with
 * one process warning naming the reason) when the extension is not built or does not load.
 * Calling it again for the same connection returns the same object.
 *
 * @example
 * const it = loadInterrupter(db);
 * it?.arm(200);
 * try { stmt.all(); } finally { it?.disarm(); }
 */
export function loadInterrupter(
  db: BetterSqlite3.Database,
  options: InterruptOptions = {},
): Interrupter | null {
  const existing = interrupters.get(db);
  if (existing) return existing;
  const support = interruptSupport(options);
  const path = support.path ?? interruptExtensionPath();
  if (!support.available) {
    warnOnce(support.reason ?? 'unavailable');
    return null;
  }
  let abi: unknown;
  try {
    db.loadExtension(path);
    abi = db.prepare('SELECT hivedb_interrupt_abi()').pluck().get();
  } catch (err) {
    const reason = `the query-interrupt extension ${path} did not load (${err instanceof Error ? err.message : String(err)})`;
    loadFailures.set(path, reason);
    warnOnce(reason);
    return null;
  }
  if (abi !== INTERRUPT_ABI) {
    const reason = `the query-interrupt extension ${path} is a stale build (ABI ${String(abi)}, expected ${INTERRUPT_ABI}; rebuild with \`npm run build:native\` in @hivedb/pool)`;
    loadFailures.set(path, reason);
    warnOnce(reason);
    return null;
  }
  const armStmt = db.prepare('SELECT hivedb_deadline_arm(?)').pluck();
  const disarmStmt = db.prepare('SELECT hivedb_deadline_disarm()').pluck();
  const statsStmt = db.prepare('SELECT hivedb_watchdog_stats()').pluck();
  const busyStmt = db.prepare('SELECT hivedb_busy_timeout(?, ?)').pluck();
  const busyStatsStmt = db.prepare('SELECT hivedb_busy_stats()').pluck();
  const interrupter: Interrupter = {
    path,
    arm(ms: number): void {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new HiveDbError(
          'POOL_INVALID_ARGUMENT',
          `a query deadline must be a finite number of milliseconds ≥ 0, got ${String(ms)}`,
        );
      }
      control<number>(armStmt, [ms]);
    },
    disarm(): boolean {
      return control<number>(disarmStmt, []) === 1;
    },
    stats(): WatchdogStats {
      const s = JSON.parse(control<string>(statsStmt, [])) as Record<string, number>;
      return {
        thread: s.thread === 1,
        armed: s.armed === 1,
        fired: s.fired === 1,
        generation: s.generation ?? 0,
        fires: s.fires ?? 0,
        wakeups: s.wakeups ?? 0,
        signals: s.signals ?? 0,
      };
    },
    setBusyTimeout(ms: number, stepUs = 0): void {
      control<number>(busyStmt, [ms, stepUs]);
    },
    busyStats(): BusyStats {
      const s = JSON.parse(control<string>(busyStatsStmt, [])) as Record<string, number>;
      return {
        waits: s.waits ?? 0,
        sleeps: s.sleeps ?? 0,
        timeouts: s.timeouts ?? 0,
        sleptMs: (s.sleptNs ?? 0) / 1e6,
        maxWaitMs: (s.maxWaitNs ?? 0) / 1e6,
      };
    },
  };
  interrupters.set(db, interrupter);
  return interrupter;
}

/** Whether `err` is SQLite's SQLITE_INTERRUPT (what an interrupted statement throws). */
export function isInterruptError(err: unknown): boolean {
  return sqliteCodeOf(err) === 'SQLITE_INTERRUPT';
}

/**
 * The error a caller gets when its statement was stopped at its deadline: code
 * POOL_QUERY_TIMEOUT, sqliteCode SQLITE_INTERRUPT, the SqliteError as its cause.
 */
export function toQueryTimeout(err: unknown, ms: number, context?: string): HiveDbError {
  const what = context ? `${context}: ` : '';
  return new HiveDbError(
    'POOL_QUERY_TIMEOUT',
    `${what}the query ran past its ${ms} ms timeout and was interrupted`,
    { cause: err, sqliteCode: 'SQLITE_INTERRUPT', details: { timeoutMs: ms } },
  );
}

/**
 * Runs `fn` (synchronous better-sqlite3 work on the connection `interrupter` belongs to) under a
 * deadline of `ms`: arms, runs, and always disarms before returning or throwing. An interrupt
 * caused by the deadline becomes POOL_QUERY_TIMEOUT; any other error is rethrown as it is. A
 * result that `fn` produced before the interrupt could land is returned, even past the deadline.
 *
 * After a timeout inside an explicit transaction: an interrupted INSERT/UPDATE/DELETE has already
 * rolled the whole transaction back (`db.inTransaction` is false); an interrupted SELECT leaves it
 * open, and the caller rolls it back. Either way do it after this returns (after the disarm), or
 * the ROLLBACK itself would be interrupted.
 *
 * With no interrupter (the extension is unavailable), it runs `fn` unbounded.
 */
export function withDeadline<T>(interrupter: Interrupter | null, ms: number, fn: () => T): T {
  if (!interrupter) return fn();
  interrupter.arm(ms);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    const fired = interrupter.disarm();
    if (fired && isInterruptError(err)) throw toQueryTimeout(err, ms);
    throw err;
  }
  interrupter.disarm();
  return result;
}
