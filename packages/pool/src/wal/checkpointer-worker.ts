/**
 * The checkpointer thread of a process: one per process, started by the first pool that
 * registers a database (`checkpointer.ts`). For each registered database it takes part in an
 * election, and for the databases it wins it keeps the WAL bounded:
 *
 * - **Election.** A connection to `<db>-checkpointer` (an empty SQLite file) holds its write
 *   lock (`BEGIN IMMEDIATE`, never committed). SQLite's lock is an fcntl lock, which the kernel
 *   drops when the process dies, so a killed checkpointer is replaced within an election period.
 * - **A PASSIVE checkpoint** each time about a thousand new frames are expected (at most every
 *   `intervalMs`, at least every 100 ms): it copies what no reader still needs, never
 *   waits and never takes the write lock, so writers go on beside it, on their own threads.
 * - **Past `restartBytes`**, a RESTART: it holds the write lock while it waits for the readers on
 *   older snapshots to finish, then the next writer starts the WAL from its beginning. A stall of
 *   every writer is the price, so it is paid seldom, right after a PASSIVE that copied every
 *   frame (so that only the readers of the last moments are waited for), with a wait long
 *   enough to succeed (`restartWaitMs`, which says why).
 *
 * It runs on its own thread so that no reader of its own process can keep it waiting: a RESTART
 * run on the application's thread would block that thread's open read snapshot from ending.
 * Its connection turns SQLite's autocheckpoint off and uses the query-interrupt extension's busy
 * handler (fine-grained retries) where it is available.
 */
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { loadInterrupter, silenceInterruptWarning } from '../interrupt.js';
import {
  type CheckpointSettings,
  type FromCheckpointer,
  RESTART_RETRY_MS,
  restartWaitMs,
  type ToCheckpointer,
} from './checkpoint-protocol.js';
import { checkpointerLockPath, walBytes } from './wal-file.js';

/** How often a process that does not lead a database tries to (ms, jittered ±50%). */
const ELECTION_MS = 100;
/** How often each file's summary is reported (ms). */
const REPORT_MS = 1000;
/** New WAL frames a PASSIVE checkpoint waits for (SQLite's autocheckpoint default, 4 MiB of pages). */
const PASSIVE_FRAMES = 1000;
/**
 * How often a RESTART retries the write lock and the readers' locks (µs). A writer that commits
 * one statement after another frees the lock for microseconds between them; the usual schedule
 * (0.25 to 4 ms sleeps) catches such a gap late, and lets the writers run on meanwhile.
 */
const RESTART_POLL_US = 50;
/** The longest pause between two RESTART attempts that keep failing (ms). */
const MAX_RETRY_GAP_MS = 2000;
/** The longest gap between two looks at a database this process leads (ms). */
const MAX_PASSIVE_GAP_MS = 100;

interface FileState {
  readonly file: string;
  settings: CheckpointSettings;
  refs: number;
  lock: BetterSqlite3.Database | undefined;
  db: BetterSqlite3.Database | undefined;
  setBusy: ((ms: number) => void) | undefined;
  nextElectionAt: number;
  nextCheckAt: number;
  /** A WAL frame's size: the page size and its 24-byte header. */
  frameBytes: number;
  /** Frames in the WAL at the last PASSIVE (-1: none yet), when it ran, and the growth rate. */
  lastLog: number;
  lastPassiveAt: number;
  framesPerMs: number;
  /** The frame count at the last successful RESTART (-1: none since the WAL grew again). */
  restartedAtLog: number;
  /** RESTARTs that failed one after another. */
  failuresInRow: number;
  /** No RESTART before this (performance.now() ms): a failed one leaves the readers time to run. */
  nextRestartAt: number;
  /** Since the last report. */
  passive: number;
  passiveMs: number;
  restarts: number;
  restartFailures: number;
  maxWalBytes: number;
  lastError: string | undefined;
}

const port = parentPort;
if (port === null) throw new Error('@hivedb/pool: checkpointer-worker runs in a worker thread');
silenceInterruptWarning();

const files = new Map<string, FileState>();
let timer: NodeJS.Timeout | undefined;
let reportTimer: NodeJS.Timeout | undefined;
let stopping = false;

function send(msg: FromCheckpointer): void {
  port!.postMessage(msg);
}

function reportError(file: string | null, where: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const state = file === null ? undefined : files.get(file);
  // One report per distinct failure in a row: an election that fails the same way every 250 ms
  // (a folder made read-only, say) would otherwise flood the pools' `error` event.
  if (state !== undefined) {
    if (state.lastError === `${where}: ${message}`) return;
    state.lastError = `${where}: ${message}`;
  }
  const code = (err as { code?: unknown } | null)?.code;
  send({
    type: 'error',
    file,
    where,
    message,
    ...(typeof code === 'string' ? { code } : {}),
  });
}

/** Refuses a lock path that is not a plain file we may create: a planted symlink must not be followed. */
function lockPathUsable(path: string): boolean {
  try {
    const st = fs.lstatSync(path);
    return st.isFile();
  } catch (err) {
    return (err as { code?: string }).code === 'ENOENT';
  }
}

function tryLead(s: FileState, now: number): void {
  s.nextElectionAt = now + ELECTION_MS * (0.5 + Math.random());
  const path = checkpointerLockPath(s.file);
  try {
    if (s.lock === undefined) {
      if (!lockPathUsable(path)) {
        throw new Error(`${path} is not a regular file; this process will not checkpoint`);
      }
      s.lock = new Database(path, { timeout: 0 });
    }
    s.lock.exec('BEGIN IMMEDIATE');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return; // another process leads
    reportError(s.file, 'checkpointer election', err);
    closeQuietly(s.lock);
    s.lock = undefined;
    return;
  }
  try {
    const db = new Database(s.file, { timeout: 0, fileMustExist: true });
    db.pragma('wal_autocheckpoint = 0');
    s.frameBytes = (db.pragma('page_size', { simple: true }) as number) + 24;
    const interrupter = loadInterrupter(db);
    s.setBusy =
      interrupter === null
        ? (ms) => db.pragma(`busy_timeout = ${Math.round(ms)}`)
        : (ms) => interrupter.setBusyTimeout(ms, RESTART_POLL_US);
    s.db = db;
    s.lastError = undefined;
  } catch (err) {
    reportError(s.file, 'checkpointer connection', err);
    resign(s);
  }
}

/** Gives up leading `s` (its lock is released, another process takes over). */
function resign(s: FileState): void {
  closeQuietly(s.db);
  s.db = undefined;
  s.setBusy = undefined;
  if (s.lock !== undefined) {
    try {
      if (s.lock.inTransaction) s.lock.exec('ROLLBACK');
    } catch {
      // Closing releases the lock anyway.
    }
    closeQuietly(s.lock);
    s.lock = undefined;
  }
}

function closeQuietly(db: BetterSqlite3.Database | undefined): void {
  try {
    db?.close();
  } catch {
    // A connection to a file that vanished can fail to close; there is nothing left to release.
  }
}

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * One look at a database this process leads. A PASSIVE checkpoint runs once about
 * PASSIVE_FRAMES new frames are expected since the last one (the rate is learnt from what each
 * PASSIVE reports): SQLite's own autocheckpoint copies as often, but on the committing thread, and
 * a checkpoint that copies a thousand frames costs about what one that copies ten does (two
 * fsyncs). A RESTART follows when the WAL holds `restartBytes` or more.
 */
function checkpoint(s: FileState): void {
  const db = s.db!;
  const now = performance.now();
  const fileBytes = walBytes(s.file);
  if (fileBytes > s.maxWalBytes) s.maxWalBytes = fileBytes;
  if (fileBytes === 0) return;
  s.setBusy!(0);
  const passive = (db.pragma('wal_checkpoint(PASSIVE)') as CheckpointRow[])[0];
  const done = performance.now();
  s.passive++;
  s.passiveMs += done - now;
  // What the WAL holds now: frames since it last started over. The file keeps its size after a
  // restart (up to journal_size_limit), so its size says nothing about what there is to copy.
  const log = passive === undefined || passive.log < 0 ? 0 : passive.log;
  if (log !== s.restartedAtLog) s.restartedAtLog = -1;
  if (s.lastLog >= 0 && log >= s.lastLog && now > s.lastPassiveAt) {
    const rate = (log - s.lastLog) / (now - s.lastPassiveAt);
    s.framesPerMs = s.framesPerMs === 0 ? rate : s.framesPerMs * 0.7 + rate * 0.3;
  }
  s.lastLog = log;
  s.lastPassiveAt = now;
  // Until the growth rate is known, look again soon.
  const expected = s.framesPerMs > 0 ? PASSIVE_FRAMES / s.framesPerMs : s.settings.intervalMs;
  s.nextCheckAt = done + Math.min(MAX_PASSIVE_GAP_MS, Math.max(s.settings.intervalMs, expected));
  const logBytes = log * s.frameBytes;
  if (s.settings.restartBytes === 0 || logBytes < s.settings.restartBytes) {
    // Look again when the WAL is expected to reach the restart size, if that comes sooner.
    if (s.settings.restartBytes > 0 && s.framesPerMs > 0) {
      const toRestart = (s.settings.restartBytes - logBytes) / s.frameBytes / s.framesPerMs;
      s.nextCheckAt = Math.min(s.nextCheckAt, done + Math.max(s.settings.intervalMs, toRestart));
    }
    return;
  }
  s.nextCheckAt = done + s.settings.intervalMs;
  if (done < s.nextRestartAt) return;
  // Restarted, and no writer has started the WAL over since: there is nothing more to do.
  if (s.restartedAtLog === log) return;
  // Restart right after a PASSIVE that copied every frame: no reader is then on an older
  // snapshot, so the RESTART waits only for the readers of the last moments, which are short.
  // Otherwise look again in a moment, without holding anyone, unless the bound is near.
  const copiedAll = passive !== undefined && passive.busy === 0 && passive.checkpointed === log;
  if (!copiedAll && logBytes < s.settings.limitBytes * 0.6) return;
  // The WAL is past the restart size: make the next writer start it over.
  const waitMs = restartWaitMs(logBytes, s.settings);
  s.setBusy!(waitMs);
  let row: CheckpointRow | undefined;
  try {
    // TRUNCATE: a RESTART that also empties the file, so that its size drops at once rather
    // than when the next writer starts it over (and a WAL nobody writes to any more is empty).
    row = (db.pragma('wal_checkpoint(TRUNCATE)') as CheckpointRow[])[0];
  } finally {
    s.setBusy!(0);
  }
  const durationMs = performance.now() - done;
  const ok = row !== undefined && row.busy === 0;
  s.restarts++;
  if (ok) {
    s.lastLog = 0;
    s.failuresInRow = 0;
    s.restartedAtLog = log;
  } else {
    s.restartFailures++;
    // A reader that outlasted a whole wait is likely to outlast the next: wait longer between
    // attempts, so that a long-lived snapshot does not cost the writers a stall every 50 ms.
    s.nextRestartAt =
      performance.now() + Math.min(RESTART_RETRY_MS * 2 ** s.failuresInRow++, MAX_RETRY_GAP_MS);
  }
  send({
    type: 'restart',
    file: s.file,
    ok,
    walBytesBefore: logBytes,
    walBytesAfter: ok ? 0 : Math.max(0, (row?.log ?? 0) * s.frameBytes),
    durationMs,
    waitMs,
  });
}

function tick(): void {
  timer = undefined;
  if (stopping) return;
  const now = performance.now();
  let next = Number.POSITIVE_INFINITY;
  for (const s of files.values()) {
    if (s.db === undefined && now >= s.nextElectionAt) tryLead(s, now);
    if (s.db !== undefined && now >= s.nextCheckAt) {
      try {
        checkpoint(s);
      } catch (err) {
        // A checkpoint that fails (the file is gone, the disk is full) costs the lead: another
        // process, or this one after an election period, tries again on a fresh connection.
        reportError(s.file, 'checkpoint', err);
        resign(s);
        s.nextElectionAt = now + ELECTION_MS;
      }
    }
    next = Math.min(next, s.db !== undefined ? s.nextCheckAt : s.nextElectionAt);
  }
  if (next !== Number.POSITIVE_INFINITY) {
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  }
}

function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(tick, 0);
}

function report(): void {
  for (const s of files.values()) {
    const size = walBytes(s.file);
    send({
      type: 'wal',
      file: s.file,
      walBytes: size,
      maxWalBytes: Math.max(s.maxWalBytes, size),
      leader: s.db !== undefined,
      passive: s.passive,
      passiveMs: s.passiveMs,
      restarts: s.restarts,
      restartFailures: s.restartFailures,
    });
    s.passive = 0;
    s.passiveMs = 0;
    s.restarts = 0;
    s.restartFailures = 0;
    s.maxWalBytes = 0;
  }
}

port.on('message', (msg: ToCheckpointer) => {
  switch (msg.type) {
    case 'add': {
      const s = files.get(msg.file);
      if (s !== undefined) {
        s.refs++;
        return;
      }
      files.set(msg.file, {
        file: msg.file,
        settings: msg.settings,
        refs: 1,
        lock: undefined,
        db: undefined,
        setBusy: undefined,
        nextElectionAt: 0,
        nextCheckAt: 0,
        frameBytes: 4096 + 24,
        lastLog: -1,
        lastPassiveAt: 0,
        framesPerMs: 0,
        nextRestartAt: 0,
        failuresInRow: 0,
        restartedAtLog: -1,
        passive: 0,
        passiveMs: 0,
        restarts: 0,
        restartFailures: 0,
        maxWalBytes: 0,
        lastError: undefined,
      });
      reportTimer ??= setInterval(report, REPORT_MS);
      schedule();
      return;
    }
    case 'remove': {
      const s = files.get(msg.file);
      if (s === undefined || --s.refs > 0) return;
      files.delete(msg.file);
      resign(s);
      return;
    }
    case 'stop': {
      stopping = true;
      if (timer !== undefined) clearTimeout(timer);
      if (reportTimer !== undefined) clearInterval(reportTimer);
      for (const s of files.values()) resign(s);
      files.clear();
      send({ type: 'stopped' });
      port!.close();
      return;
    }
  }
});
