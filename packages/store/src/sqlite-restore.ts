import { randomBytes } from 'node:crypto';
import { copyFile, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createPool, type Pool, sqliteCodeOf } from '@hivedb/pool';
import { Migrator, validateIntegrity } from '@hivedb/schema';
import { StoreError } from './errors.js';
import type { RestoreRefusal } from './transfer-backend.js';

const MAGIC = 'SQLite format 3\0';

/** A unique, hidden file name in the store's folder, for a copy that is ours alone. */
export function scratchName(prefix: string): string {
  return `.${prefix}-${process.pid}-${randomBytes(6).toString('hex')}.db`;
}

/** Removes a database file and the files SQLite keeps beside it. Never throws. */
export async function removeDatabaseFiles(file: string): Promise<void> {
  await Promise.all(
    ['', '-wal', '-shm', '-journal'].map((s) =>
      rm(file + s, { force: true }).catch(() => undefined),
    ),
  );
}

function refused(
  reason: RestoreRefusal,
  source: string,
  why: string,
  extra?: { cause?: unknown; details?: Record<string, unknown> },
): StoreError {
  const sqliteCode = extra?.cause === undefined ? undefined : sqliteCodeOf(extra.cause);
  return new StoreError(
    'STORE_RESTORE_REFUSED',
    `restore refused ${JSON.stringify(source)}: ${why}; the live database was not changed`,
    {
      ...(extra?.cause === undefined ? {} : { cause: extra.cause }),
      ...(sqliteCode ? { sqliteCode } : {}),
      details: { reason, path: source, ...extra?.details },
    },
  );
}

/** A restore candidate that passed every check: a migrated copy, open on a pool of its own. */
export interface Candidate {
  readonly pool: Pool;
  /** Live entries in it. */
  readonly entries: number;
  /** Closes the pool and removes the copy. */
  close(): Promise<void>;
}

async function readHeader(source: string): Promise<Buffer> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(source, 'r');
    const header = Buffer.alloc(100);
    const { bytesRead } = await fh.read(header, 0, 100, 0);
    return header.subarray(0, bytesRead);
  } catch (err) {
    throw refused('not-found', source, `it cannot be read (${(err as Error).message})`, {
      cause: err,
    });
  } finally {
    await fh?.close();
  }
}

/**
 * Copies `source` into `folder` and verifies the copy: a SQLite file, `PRAGMA integrity_check`
 * and `foreign_key_check` clean, the page size of the live database, and hivedb's memory schema
 * (a recorded migration of `@hivedb/schema`'s memory database with no drift and none unknown to
 * this version, or the seed's layout). The copy is then migrated forward to this version's
 * newest migration and compared with `@hivedb/schema`'s definitions of `memory.db`.
 * Throws `STORE_RESTORE_REFUSED` (`details.reason`); the source file is only ever read.
 */
export async function prepareCandidate(
  source: string,
  folder: string,
  livePageSize: number,
  now: number,
): Promise<Candidate> {
  const header = await readHeader(source);
  if (header.length < 100 || header.toString('latin1', 0, 16) !== MAGIC)
    throw refused('not-sqlite', source, 'it is not a SQLite database (no SQLite header)');
  const name = scratchName('restore');
  const file = path.join(folder, name);
  let pool: Pool | undefined;
  const close = async (): Promise<void> => {
    await pool?.close();
    await removeDatabaseFiles(file);
  };
  try {
    await copyFile(source, file);
    try {
      pool = createPool({
        filename: name,
        root: folder,
        minConnections: 1,
        maxConnections: 2,
        healthCheckInterval: 0,
        snapshotWindowMs: 0,
        circuitBreaker: { enabled: false },
      });
    } catch (err) {
      const notADb = sqliteCodeOf(err) === 'SQLITE_NOTADB';
      throw refused(
        notADb ? 'not-sqlite' : 'integrity',
        source,
        `it cannot be opened as a database (${(err as Error).message})`,
        { cause: err },
      );
    }
    const report = await validateIntegrity(pool, { definitions: false });
    if (!report.ok) {
      const found = [
        ...report.errors.map((e) => e.message),
        ...report.integrity,
        ...report.foreignKeys.map((f) => `foreign key violation in ${f.table}`),
      ];
      throw refused(
        'integrity',
        source,
        `it fails integrity_check: ${found.slice(0, 3).join('; ')}`,
        {
          details: { problems: found.slice(0, 20) },
        },
      );
    }
    const pageSize = (await pool.get<{ page_size: number }>('PRAGMA page_size'))?.page_size;
    if (pageSize !== livePageSize)
      throw refused(
        'page-size',
        source,
        `its page size is ${pageSize} bytes, the live database's ${livePageSize}`,
      );
    const migrator = new Migrator(pool, { database: 'memory', backup: false });
    const status = await migrator.status().catch((err: unknown) => {
      throw refused('schema', source, `its migrations cannot be read (${(err as Error).message})`, {
        cause: err,
      });
    });
    if (status.drifted.length > 0 || status.unknown.length > 0)
      throw refused(
        'schema',
        source,
        `it carries migrations this version does not know (${status.drifted.length} changed, ${status.unknown.length} unknown): not a memory database of this or an older hivedb`,
      );
    if (status.applied.length === 0 && !status.seedLayout)
      throw refused('schema', source, 'it does not carry the hivedb memory schema');
    await migrator.migrate().catch((err: unknown) => {
      throw refused(
        'schema',
        source,
        `it could not be migrated forward (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    });
    const schema = await validateIntegrity(pool, { definitions: 'memory', quick: true });
    if (!schema.ok) {
      const issues = (schema.schema ?? []).map((i) => JSON.stringify(i));
      throw refused(
        'schema',
        source,
        `its schema differs from the memory schema: ${issues.slice(0, 3).join('; ') || schema.errors.map((e) => e.message).join('; ')}`,
        { details: { issues: schema.schema } },
      );
    }
    const row = await pool.get<{ n: number }>(
      'SELECT count(*) AS n FROM shared_memory WHERE expires_at IS NULL OR expires_at > ?',
      [now],
    );
    const candidatePool = pool;
    return { pool: candidatePool, entries: row?.n ?? 0, close };
  } catch (err) {
    await close();
    if (err instanceof StoreError) throw err;
    throw refused('integrity', source, `it could not be verified (${(err as Error).message})`, {
      cause: err,
    });
  }
}
