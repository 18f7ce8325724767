/**
 * The offload worker: a worker thread that owns one read connection and runs the statements the
 * pool sends it (`pool.get/all(sql, params, { offload: true })`), so that a long query blocks
 * this thread instead of the application's event loop. Built as its own file
 * (dist/offload-worker.js and .cjs); `offload-workers.ts` starts and supervises it.
 *
 * The connection is opened by the same `openConnection` as the pool's readers (busy_timeout,
 * synchronous, foreign_keys, the user's pragmas, the query-interrupt watchdog), then set
 * `query_only`: the pool sends only statements SQLite calls read-only, and this makes sure.
 * Every statement runs through `execute(conn, op, sql, params, timeoutMs)`, so a deadline stops
 * it exactly as it would on the pool's own thread (POOL_QUERY_TIMEOUT).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Connection, openConnection } from './connection.js';
import { HiveDbError } from './errors.js';
import { silenceInterruptWarning } from './interrupt.js';
import {
  type BatchMessage,
  OFFLOAD_PROTOCOL,
  OPS,
  REPLY_ERROR,
  REPLY_OK,
  REPLY_OK_BLOBS,
  REQUEST_STRIDE,
  toWireError,
  type WorkerInit,
  type WorkerMessage,
} from './offload-protocol.js';
import { execute, type Op } from './statement.js';
import type { BindParams } from './types.js';

/**
 * Replies are sent before the next statement of a batch starts when they have waited this long,
 * so that a long statement in the middle of a batch does not hold back the answers of those
 * before it. Not less: on a busy machine a fast statement is now and then descheduled for a
 * few ms, and every extra message costs both threads (with 1 ms, batches of 32 point reads were
 * split often enough on this loaded 2-core machine to cost about a fifth of their throughput).
 */
const FLUSH_MS = 10;
/** Statements unseen, or seen to take at least this long, flush the replies before them too. */
const SLOW_MS = 10;
/** How many SQL texts' last durations are remembered (the map is cleared past it). */
const DURATIONS_KEPT = 1000;

const port = parentPort;
if (port === null) {
  throw new Error('@hivedb/pool: offload-worker runs in a worker thread started by the pool');
}
const init = workerData as WorkerInit;
const durations = new Map<string, number>();
/** SQL texts the pool sends by number (the same string each time: its hash is computed once). */
const texts = new Map<number, string>();

function sqlOf(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'number') return texts.get(ref)!;
  const [n, text] = ref as [number, string];
  texts.set(n, text);
  return text;
}

function post(message: WorkerMessage): void {
  port!.postMessage(message);
}

/** Whether a statement's rows hold a BLOB (a Buffer reaches the pool as a plain Uint8Array). */
function hasBlobs(op: Op, value: unknown): boolean {
  if (op === 'run' || value === undefined || value === null) return false;
  if (op === 'get') return rowHasBlob(value);
  for (const row of value as unknown[]) if (rowHasBlob(row)) return true;
  return false;
}

function rowHasBlob(row: unknown): boolean {
  if (row === null || typeof row !== 'object') return row instanceof Uint8Array;
  const r = row as Record<string, unknown>;
  for (const key in r) if (r[key] instanceof Uint8Array) return true;
  return false;
}

/** Unknown SQL, or SQL that was slow last time, may run long: send what is finished first. */
function maybeSlow(sql: string): boolean {
  const last = durations.get(sql);
  return last === undefined || last >= SLOW_MS;
}

function flush(out: unknown[]): void {
  try {
    post({ t: 'done', r: out });
  } catch (err) {
    // A value that cannot be cloned (not one better-sqlite3 returns): fail those requests alone.
    const failed: unknown[] = [];
    for (let i = 0; i < out.length; i += 4) {
      try {
        post({ t: 'done', r: out.slice(i, i + 4) });
      } catch {
        failed.push(out[i], REPLY_ERROR, toWireError(err), out[i + 3]);
      }
    }
    if (failed.length > 0) post({ t: 'done', r: failed });
  }
}

/**
 * Runs one batch. A batch of several requests shares one read transaction (the snapshot every
 * request in it was issued after), which costs two statement steps instead of two per read.
 */
function runBatch(conn: Connection, batch: BatchMessage): void {
  const r = batch.r;
  const waitLimit = init.opts.connectionTimeout;
  let out: unknown[] = [];
  let lastFlush = performance.now();
  let tx = false;
  if (r.length > REQUEST_STRIDE) {
    try {
      conn.internal('BEGIN').run();
      tx = true;
    } catch {
      // Each statement then runs in autocommit, and reports its own error if there is one.
    }
  }
  for (let i = 0; i < r.length; i += REQUEST_STRIDE) {
    const id = r[i] as number;
    if (Atomics.load(init.stop, 0) !== 0) {
      // The pool is stopping this worker and failed its callers already: run nothing more.
      break;
    }
    const op = OPS[r[i + 1] as number]!;
    const sql = sqlOf(r[i + 2]);
    const params = r[i + 3] as BindParams | undefined;
    const timeoutMs = r[i + 4] as number;
    const waitedBefore = r[i + 5] as number;
    if (out.length > 0 && (maybeSlow(sql) || performance.now() - lastFlush >= FLUSH_MS)) {
      flush(out);
      out = [];
      lastFlush = performance.now();
    }
    const waited = waitedBefore + (Date.now() - batch.at);
    if (waited > waitLimit) {
      const err = new HiveDbError(
        'POOL_ACQUIRE_TIMEOUT',
        `timed out after ${waited} ms waiting for an offload worker (connectionTimeout ${waitLimit} ms)`,
        { details: { mode: 'offload', timeoutMs: waitLimit } },
      );
      out.push(id, REPLY_ERROR, toWireError(err), 0);
      continue;
    }
    const t0 = performance.now();
    try {
      const value = execute(conn, op, sql, params, timeoutMs);
      const ms = performance.now() - t0;
      if (durations.size >= DURATIONS_KEPT) durations.clear();
      durations.set(sql, ms);
      out.push(id, hasBlobs(op, value) ? REPLY_OK_BLOBS : REPLY_OK, value, Math.round(ms * 1000));
    } catch (err) {
      out.push(id, REPLY_ERROR, toWireError(err), Math.round((performance.now() - t0) * 1000));
    }
  }
  if (tx && conn.db.inTransaction) {
    try {
      conn.internal('COMMIT').run();
    } catch {
      // A read transaction has nothing to commit; if COMMIT fails, ROLLBACK ends it the same.
      try {
        conn.db.exec('ROLLBACK');
      } catch {
        // Nothing open any more.
      }
    }
  }
  flush(out);
}

function main(): void {
  // The pool's thread has warned once already if the watchdog is unavailable.
  silenceInterruptWarning();
  const started = performance.now();
  let conn: Connection;
  try {
    conn = openConnection(init.connectionId, 'reader', init.filename, init.opts);
    if (!init.opts.readonly) conn.db.pragma('query_only = ON');
  } catch (err) {
    // No message listener: once this is sent the thread has nothing left to do and ends.
    post({ t: 'open-failed', error: toWireError(err) });
    return;
  }
  post({ t: 'ready', protocol: OFFLOAD_PROTOCOL, openMs: performance.now() - started });
  port!.on('message', (batch: BatchMessage) => {
    if (Atomics.load(init.stop, 0) === 0) runBatch(conn, batch);
    if (Atomics.load(init.stop, 0) !== 0) stop(conn);
  });
}

/** Closes the connection and the port: with nothing left to do, the thread ends by itself. */
function stop(conn: Connection): void {
  try {
    if (conn.db.open) conn.db.close();
  } catch {
    // A connection that cannot close cleanly is closed by SQLite when the thread ends.
  }
  port!.close();
}

main();
