import { HiveDbError } from './errors.js';
import type { OffloadRequest, OffloadSlot } from './offload-slot.js';

/**
 * How long a health probe waits for an idle offload worker's answer. A trivial query on an idle
 * worker answers in well under a millisecond; one that has not answered in a second is stuck
 * (inside SQLite: a lock it waits for, a file that does not answer) and is replaced.
 */
export const WORKER_PROBE_TIMEOUT_MS = 1000;

/** The probe: one read of the schema, as the health check's probe of a connection. */
const PROBE_SQL = 'SELECT count(*) FROM sqlite_schema';

/** One idle worker's health probe. */
export interface WorkerProbe {
  readonly connectionId: number;
  /** Why it failed (its error, or POOL_QUERY_TIMEOUT when it did not answer); undefined when it answered. */
  readonly error: Error | undefined;
  /** For a failed worker: whether it was terminated and a replacement started. */
  readonly replaced: boolean;
  /**
   * For a failed worker that was not replaced here: why (its replacement could not start; `'closing'`).
   * Undefined when it had ended meanwhile: a crash is replaced by the lane's crash path.
   */
  readonly replaceError?: unknown;
}

/**
 * The request that carries a probe; its answer settles `answered` (resolved, or rejected with
 * its error). The statement's own deadline (the worker's watchdog) is twice the wait: the pool
 * decides first that the worker did not answer, and the watchdog then frees the thread if the
 * statement can be interrupted.
 */
export function probeRequest(
  id: number,
  timeoutMs: number,
  answered: { resolve: (value: unknown) => void; reject: (err: unknown) => void },
): OffloadRequest {
  const now = Date.now();
  return {
    id,
    op: 'get',
    sql: PROBE_SQL,
    params: undefined,
    timeoutMs: 2 * timeoutMs,
    resolve: answered.resolve,
    reject: answered.reject,
    enqueuedAt: now,
    firstAt: now,
    attempts: 1,
    probe: true,
  };
}

/**
 * Waits for a probe's answer for at most `timeoutMs`: undefined when the worker answered, its
 * error when the probe failed, POOL_QUERY_TIMEOUT when it did not answer in time.
 */
export async function probeOutcome(
  slot: OffloadSlot,
  answer: Promise<unknown>,
  timeoutMs: number,
): Promise<Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Error>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          new HiveDbError(
            'POOL_QUERY_TIMEOUT',
            `offload worker (connection ${slot.connectionId}) did not answer its health probe in ${timeoutMs} ms`,
            { details: { connectionId: slot.connectionId, timeoutMs } },
          ),
        ),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([
      answer.then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
