import { randomBytes } from 'node:crypto';
import { copyFile, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { createPool, type Pool, sqliteCodeOf } from '@hivedb/pool';
import {
  type InspectionProblem,
  inspectDatabase,
  Migrator,
  validateIntegrity,
} from '@hivedb/schema';
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

/** The refusal reason of what `inspectDatabase` found first. */
function reasonOf(problem: InspectionProblem): RestoreRefusal {
  switch (problem.code) {
    case 'missing':
    case 'not-a-file':
      return 'not-found';
    case 'empty-file':
    case 'not-sqlite':
      return 'not-sqlite';
    case 'unreadable':
    case 'integrity':
      return 'integrity';
    default:
      return 'schema';
  }
}

/**
 * Copies `source` into `folder` and verifies the copy with `@hivedb/schema`'s
 * `inspectDatabase` (read-only, every check): a SQLite file, `integrity_check` and
 * `foreign_key_check` clean, a migration record of `@hivedb/schema`'s memory database with no
 * drift and no migration this version does not know, and the tables that record implies. Only a
 * hivedb `memory.db` passes: another program's file (an empty `shared_memory(key, value)`
 * included) or the seed's layout without a record are refused. Then the page size of the live
 * database; the copy is then migrated forward to this version's newest migration and compared
 * with `@hivedb/schema`'s definitions of `memory.db`. Throws `STORE_RESTORE_REFUSED`
 * (`details.reason`, `details.problems`); the source file is only ever read.
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
    const report = await inspectDatabase(file, 'memory');
    if (!report.ok) {
      const problems = report.problems.map((p) => ({ code: p.code, message: p.message }));
      throw refused(
        reasonOf(report.problems[0]!),
        source,
        `it is not a hivedb memory.db: ${problems
          .slice(0, 3)
          .map((p) => p.message.replaceAll(file, 'the file'))
          .join('; ')}`,
        { details: { problems } },
      );
    }
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
      throw refused('integrity', source, `it cannot be opened (${(err as Error).message})`, {
        cause: err,
      });
    }
    const pageSize = (await pool.get<{ page_size: number }>('PRAGMA page_size'))?.page_size;
    if (pageSize !== livePageSize)
      throw refused(
        'page-size',
        source,
        `its page size is ${pageSize} bytes, the live database's ${livePageSize}`,
      );
    const migrator = new Migrator(pool, { database: 'memory', backup: false });
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
