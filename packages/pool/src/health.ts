import type { Connection } from './connection.js';
import type { PoolContext } from './context.js';
import type { OffloadLane } from './offload-lane.js';
import { WORKER_PROBE_TIMEOUT_MS, type WorkerProbe } from './offload-probe.js';
import type { ReaderSet } from './reader-set.js';
import { checkpointWal } from './wal/wal-checkpoint.js';
import { walBytes } from './wal/wal-file.js';
import type { HealthReport } from './types.js';
import type { WriterLane } from './writer-lane.js';

/** What the health check needs from the pool. */
export interface HealthTarget {
  readonly ctx: PoolContext;
  readonly readers: ReaderSet;
  readonly lane: WriterLane | undefined;
  /** The offload lane, once started (its idle workers are probed too). */
  offload(): OffloadLane | undefined;
  /** The writer if it is open (not opening one). */
  writer(): Connection | undefined;
  /** Whether a read snapshot is open now (a RESTART checkpoint would wait on it). */
  snapshotOpen(): boolean;
  /** Total connections open (writer included). */
  total(): number;
  leased(): number;
}

function probe(conn: Connection): void {
  conn.db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
}

/**
 * One health pass: probes idle connections (a failed one is closed and replaced) and idle
 * offload workers (a trivial query through the worker, bounded by WORKER_PROBE_TIMEOUT_MS; a
 * worker that fails it or does not answer is terminated and replaced), closes readers
 * idle past `idleTimeout` down to `minConnections`, replaces those older than `maxLifetime`, and
 * in `walCheckpointer: 'sqlite'` mode checkpoints a WAL grown past `walCheckpointBytes` (PASSIVE,
 * then RESTART when no reader of ours holds a snapshot). Never throws: what failed is in the report and on the `error` event.
 */
export async function runHealthCheck(t: HealthTarget): Promise<HealthReport> {
  const { ctx, readers } = t;
  const started = Date.now();
  const errors: string[] = [];
  let probed = 0;
  let replaced = 0;
  let closedIdle = 0;
  let recycled = 0;
  const now = Date.now();
  const { idleTimeout, maxLifetime, minConnections } = ctx.opts;
  // Sent first: the workers answer on their threads while this one probes its own connections.
  const workerProbes = t.offload()?.probeIdle(WORKER_PROBE_TIMEOUT_MS);

  for (const conn of readers.idleSnapshot()) {
    probed++;
    try {
      probe(conn);
      ctx.breaker.success();
    } catch (err) {
      ctx.breaker.failure(err);
      errors.push(`reader ${conn.id}: ${err instanceof Error ? err.message : String(err)}`);
      try {
        readers.replaceIdle(conn, 'failed');
        replaced++;
      } catch (openErr) {
        errors.push(
          `replacing reader ${conn.id}: ${openErr instanceof Error ? openErr.message : String(openErr)}`,
        );
      }
      continue;
    }
    if (maxLifetime > 0 && now - conn.createdAt >= maxLifetime) {
      try {
        readers.replaceIdle(conn, 'lifetime');
        recycled++;
      } catch (openErr) {
        errors.push(
          `recycling reader ${conn.id}: ${openErr instanceof Error ? openErr.message : String(openErr)}`,
        );
      }
    } else if (
      idleTimeout > 0 &&
      now - conn.lastUsedAt >= idleTimeout &&
      t.total() > minConnections
    ) {
      if (readers.closeIdle(conn, 'idle')) closedIdle++;
    }
  }

  let checkpoint: HealthReport['checkpoint'];
  const lane = t.lane;
  if (lane !== undefined && !lane.busy && lane.queued === 0) {
    const writer = t.writer();
    if (writer !== undefined) {
      probed++;
      try {
        probe(writer);
        ctx.breaker.success();
      } catch (err) {
        ctx.breaker.failure(err);
        writer.broken = true; // replaced the next time the lane takes the writer
        errors.push(`writer ${writer.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const before = walBytes(ctx.filename);
      if (
        !writer.broken &&
        ctx.opts.walCheckpointer === 'sqlite' &&
        ctx.opts.walCheckpointBytes > 0 &&
        before > ctx.opts.walCheckpointBytes
      ) {
        checkpoint = checkpointWal(
          ctx,
          writer,
          before,
          () => !t.snapshotOpen() && t.readers.leased === 0,
          errors,
        );
      }
    }
  }

  if (workerProbes !== undefined) {
    for (const p of await workerProbes) {
      probed++;
      if (workerProbeFailed(ctx, p, errors) && p.replaced) replaced++;
    }
  }

  const report: HealthReport = {
    ok: errors.length === 0,
    checkedAt: started,
    durationMs: Date.now() - started,
    probed,
    replaced,
    closedIdle,
    recycled,
    walBytes: walBytes(ctx.filename),
    ...(checkpoint === undefined ? {} : { checkpoint }),
    circuit: ctx.breaker.state,
    errors,
  };
  if (ctx.events.listening('health')) {
    ctx.events.emit('health', {
      poolId: ctx.id,
      ok: report.ok,
      durationMs: report.durationMs,
      probed,
      replaced,
      closedIdle,
      recycled,
      walBytes: report.walBytes,
      total: t.total(),
      leased: t.leased(),
      max: ctx.opts.maxConnections,
      waiting: readers.waiting,
      errors,
    });
  }
  return report;
}

/** Counts a worker's probe with the circuit breaker; records a failure. Returns whether it failed. */
function workerProbeFailed(ctx: PoolContext, p: WorkerProbe, errors: string[]): boolean {
  if (p.error === undefined) {
    ctx.breaker.success();
    return false;
  }
  ctx.breaker.failure(p.error);
  errors.push(`worker ${p.connectionId}: ${p.error.message}`);
  if (p.replaceError !== undefined) {
    const why = p.replaceError instanceof Error ? p.replaceError.message : String(p.replaceError);
    errors.push(`replacing worker ${p.connectionId}: ${why}`);
  }
  return true;
}
