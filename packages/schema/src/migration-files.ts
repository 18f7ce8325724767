import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SchemaError } from './errors.js';

/** SQL split on drizzle-kit's `--> statement-breakpoint` markers, with the foreign-key pragmas lifted out. */
export interface MigrationScript {
  /** The file's absolute path. */
  readonly path: string;
  /** The file's text, exactly as read. */
  readonly sql: string;
  /** sha256 of the file's text in hex: the same hash drizzle-orm's migrator records. */
  readonly hash: string;
  /** The statements to run inside the transaction, in order (empty chunks dropped). */
  readonly statements: readonly string[];
  /**
   * Whether the script switches `foreign_keys` off (drizzle-kit does so around table rebuilds).
   * Such a pragma is a no-op inside a transaction, so the runner switches it off outside the
   * transaction instead and runs `foreign_key_check` before committing.
   */
  readonly foreignKeysOff: boolean;
}

/** One migration of a drizzle-kit folder: its journal entry, its SQL and its hand-written down file. */
export interface MigrationFile {
  /** Position in the journal (drizzle-kit's `idx`), from 0. */
  readonly index: number;
  /** drizzle-kit's tag: the file name without `.sql` (`0000_shared_memory`). */
  readonly tag: string;
  /** The journal's `when` (ms): drizzle records it as `created_at`; here it is the migration's identity. */
  readonly when: number;
  /** The migration itself (`<tag>.sql`). */
  readonly up: MigrationScript;
  /** Its reverse (`<tag>.down.sql`), or `null` when there is none. */
  readonly down: MigrationScript | null;
}

interface JournalEntry {
  readonly idx: number;
  readonly when: number;
  readonly tag: string;
}

const BREAKPOINT = '--> statement-breakpoint';
// drizzle-kit writes `PRAGMA foreign_keys=OFF;` and `…=ON;` as statements of their own.
const FOREIGN_KEYS_PRAGMA = /^\s*PRAGMA\s+foreign_keys\s*=\s*['"]?(\w+)['"]?\s*;?\s*$/gim;

/** Splits and hashes one SQL file the way drizzle-orm's migrator does. */
export function readMigrationScript(file: string): MigrationScript {
  const sql = fs.readFileSync(file).toString();
  let foreignKeysOff = false;
  const statements: string[] = [];
  for (const chunk of sql.split(BREAKPOINT)) {
    const body = chunk.replace(FOREIGN_KEYS_PRAGMA, (_m, value: string) => {
      if (/^(off|0|false|no)$/i.test(value)) foreignKeysOff = true;
      return '';
    });
    if (stripComments(body).trim() !== '') statements.push(body.trim());
  }
  return {
    path: file,
    sql,
    hash: createHash('sha256').update(sql).digest('hex'),
    statements,
    foreignKeysOff,
  };
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

function invalid(folder: string, message: string, cause?: unknown): SchemaError {
  return new SchemaError('SCHEMA_INVALID_MIGRATIONS', `migrations folder ${folder}: ${message}`, {
    cause,
    details: { folder },
  });
}

/**
 * Reads a drizzle-kit migrations folder: `meta/_journal.json`, each `<tag>.sql`, and each
 * hand-written `<tag>.down.sql` beside it. Migrations come back in journal order.
 *
 * @example
 * const files = readMigrationFiles(schemaFor('memory').migrationsFolder);
 * files.map((f) => f.tag); // ['0000_shared_memory']
 */
export function readMigrationFiles(folder: string): MigrationFile[] {
  const journalPath = path.join(folder, 'meta', '_journal.json');
  let journal: { entries?: unknown };
  try {
    journal = JSON.parse(fs.readFileSync(journalPath, 'utf8')) as { entries?: unknown };
  } catch (err) {
    throw invalid(folder, `cannot read meta/_journal.json`, err);
  }
  if (!Array.isArray(journal.entries)) throw invalid(folder, 'meta/_journal.json has no entries');
  const seenWhen = new Map<number, string>();
  return (journal.entries as JournalEntry[]).map((entry, position) => {
    if (
      typeof entry?.tag !== 'string' ||
      !/^[\w.-]+$/.test(entry.tag) ||
      typeof entry.when !== 'number' ||
      !Number.isSafeInteger(entry.when)
    ) {
      throw invalid(folder, `journal entry ${position} is malformed: ${JSON.stringify(entry)}`);
    }
    const clash = seenWhen.get(entry.when);
    if (clash !== undefined) {
      throw invalid(folder, `${clash} and ${entry.tag} share the journal time ${entry.when}`);
    }
    seenWhen.set(entry.when, entry.tag);
    const upPath = path.join(folder, `${entry.tag}.sql`);
    const downPath = path.join(folder, `${entry.tag}.down.sql`);
    let up: MigrationScript;
    try {
      up = readMigrationScript(upPath);
    } catch (err) {
      throw invalid(folder, `cannot read ${entry.tag}.sql`, err);
    }
    return {
      index: position,
      tag: entry.tag,
      when: entry.when,
      up,
      down: fs.existsSync(downPath) ? readMigrationScript(downPath) : null,
    };
  });
}
