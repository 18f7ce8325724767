import { existsSync, mkdirSync, statSync } from 'node:fs';
import type { Pool } from '@hivedb/pool';
import {
  type IntegrityReport,
  type MigrationStatus,
  type OptimizeReport,
  Migrator,
  optimize,
  validateIntegrity,
} from '@hivedb/schema';
import type { CommandContext } from '../context.js';
import { withPool } from '../context.js';
import { CliError, describeError } from '../errors.js';
import { formatBytes, table } from '../format.js';

/** The databases of a root, in the order commands treat them. */
export const DATABASES = ['memory', 'hive'] as const;
/** `memory` or `hive`. */
export type DatabaseName = (typeof DATABASES)[number];

/** Parses `--database` (`memory`, `hive` or `all`). */
export function databasesOf(value: string | undefined, allowAll = true): DatabaseName[] {
  if (value === undefined || (allowAll && value === 'all')) return [...DATABASES];
  if (value === 'memory' || value === 'hive') return [value];
  throw new CliError(
    'CLI_USAGE',
    `--database: expected memory${allowAll ? ', hive or all' : ' or hive'} (got ${JSON.stringify(value)})`,
  );
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** `init`: creates the root and both databases, migrated to the newest migration. */
export async function initCommand(ctx: CommandContext): Promise<void> {
  mkdirSync(ctx.root.dir, { recursive: true });
  const results: { database: DatabaseName; applied: readonly string[]; backup: string | null }[] =
    [];
  for (const db of DATABASES) {
    if (!existsSync(db === 'memory' ? ctx.root.memoryPath : ctx.root.hivePath)) {
      // createPool makes the file; openPool only accepts an existing one.
      const { createPool } = await import('@hivedb/pool');
      await createPool({ filename: `${db}.db`, root: ctx.root.dir, minConnections: 1 }).close();
    }
    const r = await withPool(ctx, db, (pool) => new Migrator(pool, { database: db }).migrate());
    results.push({ database: db, applied: r.applied, backup: r.backup });
  }
  ctx.result({ root: ctx.root.dir, databases: results }, () =>
    [
      `initialised ${ctx.root.dir}`,
      ...results.map(
        (r) =>
          `  ${r.database}.db: ${r.applied.length === 0 ? 'up to date' : `applied ${r.applied.join(', ')}`}`,
      ),
    ].join('\n'),
  );
}

interface DatabaseStatus {
  readonly database: DatabaseName;
  readonly file: string;
  readonly bytes: number;
  readonly walBytes: number;
  readonly migrations: {
    readonly applied: string[];
    readonly pending: string[];
    readonly drifted: string[];
    readonly unknown: number;
    readonly upToDate: boolean;
  };
  readonly quickCheck: { readonly ok: boolean; readonly problems: string[] };
}

function migrationSummary(s: MigrationStatus): DatabaseStatus['migrations'] {
  return {
    applied: s.applied.map((m) => m.tag),
    pending: s.pending.map((m) => m.tag),
    drifted: s.drifted.map((m) => m.tag),
    unknown: s.unknown.length,
    upToDate: s.upToDate,
  };
}

/** The problems an integrity report lists, one line each. */
export function problemsOf(r: IntegrityReport): string[] {
  return [
    ...r.integrity.filter((l) => l !== 'ok'),
    ...r.foreignKeys.map((f) => `foreign key: ${f.table} row ${f.rowid} → ${f.parent}`),
    ...(r.schema ?? []).map((s) => `schema: ${s.message}`),
    ...r.errors.map((e) => `${e.check}: ${e.message}${e.sqliteCode ? ` (${e.sqliteCode})` : ''}`),
  ];
}

async function entriesByNamespace(pool: Pool): Promise<Record<string, number>> {
  const rows = await pool.all<{ namespace: string; n: number }>(
    'SELECT namespace, COUNT(*) AS n FROM shared_memory WHERE expires_at IS NULL OR expires_at > ? GROUP BY namespace ORDER BY namespace',
    [Date.now()],
  );
  return Object.fromEntries(rows.map((r) => [r.namespace, r.n]));
}

/** `status`: sizes, WAL, migrations, entries per namespace, a quick integrity check. Exit 1 when a check fails. */
export async function statusCommand(ctx: CommandContext): Promise<void> {
  const dbs: DatabaseStatus[] = [];
  let namespaces: Record<string, number> = {};
  for (const db of DATABASES) {
    const file = db === 'memory' ? ctx.root.memoryPath : ctx.root.hivePath;
    let st: { mig: MigrationStatus; quick: IntegrityReport };
    try {
      st = await withPool(ctx, db, async (pool) => {
        const mig = await new Migrator(pool, { database: db }).status();
        const quick = await validateIntegrity(pool, { quick: true });
        if (db === 'memory' && mig.applied.length > 0) namespaces = await entriesByNamespace(pool);
        return { mig, quick };
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'CLI_NO_ROOT') throw err;
      const empty = { applied: [], pending: [], drifted: [], unknown: 0, upToDate: false };
      dbs.push({
        database: db,
        file,
        bytes: fileSize(file),
        walBytes: fileSize(`${file}-wal`),
        migrations: empty,
        quickCheck: { ok: false, problems: [`cannot open: ${describeError(err, false)}`] },
      });
      continue;
    }
    dbs.push({
      database: db,
      file,
      bytes: fileSize(file),
      walBytes: fileSize(`${file}-wal`),
      migrations: migrationSummary(st.mig),
      quickCheck: { ok: st.quick.ok, problems: problemsOf(st.quick) },
    });
  }
  const ok = dbs.every((d) => d.quickCheck.ok && d.migrations.drifted.length === 0);
  const total = Object.values(namespaces).reduce((a, b) => a + b, 0);
  ctx.result({ root: ctx.root.dir, ok, databases: dbs, entries: { total, namespaces } }, () =>
    [
      `root ${ctx.root.dir}`,
      '',
      table(
        ['database', 'size', 'wal', 'applied', 'pending', 'drifted', 'quick check'],
        dbs.map((d) => [
          `${d.database}.db`,
          formatBytes(d.bytes),
          formatBytes(d.walBytes),
          d.migrations.applied.length,
          d.migrations.pending.length,
          d.migrations.drifted.length,
          d.quickCheck.ok ? 'ok' : `FAILED: ${d.quickCheck.problems[0] ?? ''}`,
        ]),
      ),
      '',
      `entries: ${total}`,
      ...(total > 0 ? [table(['namespace', 'entries'], Object.entries(namespaces))] : []),
    ].join('\n'),
  );
  if (!ok)
    throw new CliError(
      'CLI_CHECK_FAILED',
      'status: a database failed its quick check or has drifted migrations',
    );
}

/** `migrate [--to TAG] [--database]`: applies pending migrations. */
export async function migrateCommand(
  ctx: CommandContext,
  opts: { to?: string; database?: string },
): Promise<void> {
  const dbs = databasesOf(opts.database);
  if (opts.to !== undefined && dbs.length > 1)
    throw new CliError('CLI_USAGE', 'migrate --to needs --database memory or --database hive');
  const results: {
    database: DatabaseName;
    applied: readonly string[];
    backup: string | null;
    durationMs: number;
  }[] = [];
  for (const db of dbs) {
    const r = await withPool(ctx, db, (pool) =>
      new Migrator(pool, { database: db }).migrate(opts.to === undefined ? {} : { to: opts.to }),
    );
    results.push({ database: db, applied: r.applied, backup: r.backup, durationMs: r.durationMs });
  }
  ctx.result({ databases: results }, () =>
    results
      .map(
        (r) =>
          `${r.database}.db: ${r.applied.length === 0 ? 'nothing to apply' : `applied ${r.applied.join(', ')}`}${r.backup ? ` (backup ${r.backup})` : ''}`,
      )
      .join('\n'),
  );
}

/** `rollback --to TAG|none [--database memory|hive]`: reverts migrations after TAG. */
export async function rollbackCommand(
  ctx: CommandContext,
  opts: { to?: string; database?: string },
): Promise<void> {
  if (opts.to === undefined)
    throw new CliError(
      'CLI_USAGE',
      'rollback needs --to <tag> (or --to none to revert every migration)',
    );
  const [db] = databasesOf(opts.database ?? 'memory', false) as [DatabaseName];
  const to = opts.to === 'none' ? null : opts.to;
  const r = await withPool(ctx, db, (pool) =>
    new Migrator(pool, { database: db }).rollback({ to }),
  );
  ctx.result(
    { database: db, rolledBack: r.rolledBack, backup: r.backup },
    () =>
      `${db}.db: ${r.rolledBack.length === 0 ? 'nothing to roll back' : `rolled back ${r.rolledBack.join(', ')}`}${r.backup ? ` (backup ${r.backup})` : ''}`,
  );
}

/** `check`: the full integrity report of both databases. Exit 1 when anything is wrong. */
export async function checkCommand(ctx: CommandContext): Promise<void> {
  const reports: (IntegrityReport | { filename: string; ok: false; openError: string })[] = [];
  for (const db of DATABASES) {
    const file = db === 'memory' ? ctx.root.memoryPath : ctx.root.hivePath;
    reports.push(
      await withPool(ctx, db, (pool) => validateIntegrity(pool, { definitions: db })).catch(
        (err: unknown) => {
          // A file SQLite cannot even open is the worst integrity finding, not a crash of `check`.
          if ((err as { code?: unknown }).code === 'CLI_NO_ROOT') throw err;
          return { filename: file, ok: false as const, openError: describeError(err, false) };
        },
      ),
    );
  }
  const ok = reports.every((r) => r.ok);
  ctx.result({ ok, databases: reports }, () =>
    reports
      .map((r, i) => {
        if ('openError' in r) return `${DATABASES[i]}.db: FAILED (cannot open)\n  - ${r.openError}`;
        const problems = problemsOf(r);
        return `${DATABASES[i]}.db: ${r.ok ? 'ok' : 'FAILED'} (integrity_check, foreign_key_check, schema; ${r.durationMs.toFixed(0)} ms)${problems.map((p) => `\n  - ${p}`).join('')}`;
      })
      .join('\n'),
  );
  if (!ok) throw new CliError('CLI_CHECK_FAILED', 'check: integrity problems found (listed above)');
}

/** `optimize [--full]`: ANALYZE, vacuum, WAL checkpoint on both databases. */
export async function optimizeCommand(
  ctx: CommandContext,
  opts: { full?: boolean },
): Promise<void> {
  const reports: OptimizeReport[] = [];
  for (const db of DATABASES)
    reports.push(
      await withPool(ctx, db, (pool) =>
        optimize(pool, { vacuum: opts.full === true ? 'full' : 'incremental' }),
      ),
    );
  ctx.result({ databases: reports }, () =>
    reports
      .map(
        (r, i) =>
          `${DATABASES[i]}.db: ${formatBytes(r.before.total)} → ${formatBytes(r.after.total)} (${formatBytes(r.bytesFreed)} freed; vacuum ${r.vacuumed || 'skipped'})`,
      )
      .join('\n'),
  );
}
