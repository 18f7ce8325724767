import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Pool } from '@hivedb/pool';
import { type OptimizeOptions, resolveOptimizeOptions } from './options.js';
import type { RawDatabase } from './raw-connection.js';
import type { FileSizes, OptimizeReport } from './types.js';

const AUTO_VACUUM = ['none', 'full', 'incremental'] as const;

function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

function sizes(raw: RawDatabase, filename: string): FileSizes {
  const pageSize = Number(raw.pragma('page_size', { simple: true }));
  const pages = Number(raw.pragma('page_count', { simple: true })) * pageSize;
  const freePages = Number(raw.pragma('freelist_count', { simple: true }));
  const database = filename === ':memory:' ? 0 : fileSize(filename);
  const wal = filename === ':memory:' ? 0 : fileSize(`${filename}-wal`);
  return { database, wal, total: database + wal, pages, freePages };
}

/**
 * Maintenance for one database, on the pool's writer (queued behind this process's writes):
 * `PRAGMA optimize`, `ANALYZE` (`analyze`), `VACUUM` or `PRAGMA incremental_vacuum` (`vacuum`),
 * and `PRAGMA wal_checkpoint(TRUNCATE)` (`checkpoint`), reporting file sizes before and after.
 *
 * `auto_vacuum=INCREMENTAL` is what makes `vacuum: 'incremental'` give space back: the migrator
 * sets it when it creates a database, and `vacuum: 'full'` sets it on any other (a full VACUUM
 * rewrites the file anyway). On a database without it, `'incremental'` does nothing and says so
 * (`vacuumed: false`, `autoVacuum: 'none'`).
 *
 * @example
 * const report = await optimize(pool, { vacuum: 'full' });
 * console.log(`${report.bytesFreed} bytes freed`);
 */
export async function optimize(pool: Pool, options?: OptimizeOptions): Promise<OptimizeReport> {
  const started = performance.now();
  const opts = resolveOptimizeOptions(options);
  const lease = await pool.acquire({ mode: 'write' });
  try {
    const raw = lease.raw;
    const before = sizes(raw, pool.filename);
    if (opts.analyze) raw.exec('ANALYZE');
    raw.exec('PRAGMA optimize');
    let vacuumed: OptimizeReport['vacuumed'] = false;
    const autoVacuum = () =>
      AUTO_VACUUM[Number(raw.pragma('auto_vacuum', { simple: true }))] ?? 'none';
    if (opts.vacuum === 'full') {
      if (autoVacuum() !== 'incremental') raw.pragma('auto_vacuum = INCREMENTAL');
      raw.exec('VACUUM');
      vacuumed = 'full';
    } else if (opts.vacuum === 'incremental' && autoVacuum() === 'incremental') {
      // exec steps the pragma to completion: every free page is given back.
      raw.exec('PRAGMA incremental_vacuum');
      vacuumed = 'incremental';
    }
    let checkpoint: OptimizeReport['checkpoint'] = null;
    const walMode = String(raw.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    if (opts.checkpoint && walMode) {
      const row = raw.pragma('wal_checkpoint(TRUNCATE)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      checkpoint = {
        busy: row[0]?.busy === 1,
        walFrames: row[0]?.log ?? 0,
        checkpointedFrames: row[0]?.checkpointed ?? 0,
      };
    }
    const after = sizes(raw, pool.filename);
    return {
      filename: pool.filename,
      before,
      after,
      bytesFreed: before.total - after.total,
      analyzed: opts.analyze,
      vacuumed,
      autoVacuum: autoVacuum(),
      checkpoint,
      durationMs: performance.now() - started,
    };
  } finally {
    lease.release();
  }
}
