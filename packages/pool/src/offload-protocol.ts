/**
 * The messages between the pool and its offload workers (`offload-lane.ts`, `offload-workers.ts` ↔
 * `offload-worker.ts`).
 * A contract file: types, constants, and the functions that carry errors and BLOBs across the
 * thread boundary. Private to the package.
 *
 * Requests and replies travel in batches, as flat arrays (cheaper to clone than an object per
 * request): every request issued in one tick for one worker is one message, and the worker
 * answers a batch with as few messages as it can (see `offload-worker.ts`).
 */
import Database from 'better-sqlite3';
import { HiveDbError } from './errors.js';
import type { ResolvedPoolOptions } from './options.js';
import type { Op } from './statement.js';

/** Bumped whenever a message changes shape: a stale built worker is refused, not misread. */
export const OFFLOAD_PROTOCOL = 2;

/**
 * A request is `[id, op, sql, params, timeoutMs, waitedMs]` in `BatchMessage.r`: `op` an index
 * into `OPS`; `sql` the text, or `[n, text]` (the worker keeps the text as number `n`), or `n`
 * (a text it keeps); `waitedMs` how long it waited in the pool before the batch was posted.
 * Numbers are small integers where they can be: they travel without a heap allocation.
 */
export const REQUEST_STRIDE = 6;
/** A reply is `[id, status, value | WireError, durationUs]` in the `done` message's `r`. */
export const REPLY_STRIDE = 4;
/** `op` of a request. */
export const OPS: readonly Op[] = ['get', 'all', 'run'];
/**
 * Distinct SQL texts sent by number. Past it, texts travel whole: a program that builds SQL
 * with literals in it must not grow the worker's memory without bound.
 */
export const MAX_INTERNED_SQL = 1024;

/** The statement succeeded; its value is what better-sqlite3 returned. */
export const REPLY_OK = 0;
/** The statement succeeded and its rows hold BLOBs (Buffers arrive as plain Uint8Arrays). */
export const REPLY_OK_BLOBS = 1;
/** The statement failed; the value is a `WireError`. */
export const REPLY_ERROR = 2;

/** What a worker is started with (`workerData`). */
export interface WorkerInit {
  /** The absolute path the pool resolved (path safety was checked in the pool's thread). */
  readonly filename: string;
  readonly connectionId: number;
  readonly opts: ResolvedPoolOptions;
  /**
   * Set to 1 by the pool to stop the worker (over a SharedArrayBuffer, so that a worker busy
   * in a batch sees it between two statements): it runs no further statement, closes its
   * connection and ends its thread itself. `terminate()` is never used on a worker that may be
   * inside SQLite: when a statement ends in a thread being terminated, better-sqlite3 cannot
   * build its result or error and the whole process aborts.
   */
  readonly stop: Int32Array;
}

/** Pool → worker: a batch of requests, posted at `at` (`Date.now()`). */
export interface BatchMessage {
  readonly at: number;
  readonly r: unknown[];
}

/** Worker → pool. */
export type WorkerMessage =
  | { readonly t: 'ready'; readonly protocol: number; readonly openMs: number }
  | { readonly t: 'open-failed'; readonly error: WireError }
  | { readonly t: 'done'; readonly r: unknown[] };

/** An error as it crosses the thread boundary: what callers branch on survives. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly sqliteCode?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: WireError;
}

/** Flattens an error for `postMessage` (a HiveDbError keeps code, sqliteCode, details and cause). */
export function toWireError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; sqliteCode?: unknown; details?: unknown };
  let details: Record<string, unknown> | undefined;
  if (e.details !== null && typeof e.details === 'object') {
    try {
      details = structuredClone(e.details) as Record<string, unknown>;
    } catch {
      details = undefined;
    }
  }
  return {
    name: e.name,
    message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.sqliteCode === 'string' ? { sqliteCode: e.sqliteCode } : {}),
    ...(details === undefined ? {} : { details }),
    ...(e.cause !== undefined && depth < 3 ? { cause: toWireError(e.cause, depth + 1) } : {}),
  };
}

/** Rebuilds an error sent by a worker: a `HiveDbError`, a better-sqlite3 `SqliteError`, or an `Error`. */
export function fromWireError(w: WireError): Error {
  const cause = w.cause === undefined ? undefined : fromWireError(w.cause);
  if (w.name === 'HiveDbError' && w.code !== undefined) {
    return new HiveDbError(w.code, w.message, {
      ...(cause === undefined ? {} : { cause }),
      ...(w.sqliteCode === undefined ? {} : { sqliteCode: w.sqliteCode }),
      ...(w.details === undefined ? {} : { details: w.details }),
    });
  }
  if (w.name === 'SqliteError' && w.code !== undefined) {
    return new Database.SqliteError(w.message, w.code);
  }
  const err = new Error(w.message, cause === undefined ? undefined : { cause });
  err.name = w.name;
  if (w.code !== undefined) (err as Error & { code: string }).code = w.code;
  return err;
}

/**
 * Turns the BLOBs of a `REPLY_OK_BLOBS` value back into Buffers: they arrive as plain Uint8Arrays,
 * and an inline read returns Buffers. Same bytes, no copy.
 */
export function restoreBuffers(value: unknown): unknown {
  if (Array.isArray(value)) for (const row of value) fixRow(row);
  else fixRow(value);
  return value;
}

function fixRow(row: unknown): void {
  if (row === null || typeof row !== 'object') return;
  const r = row as Record<string, unknown>;
  for (const key in r) {
    const v = r[key];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      r[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
}
