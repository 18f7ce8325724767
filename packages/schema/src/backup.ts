import { ensureDatabaseFolder, sqliteCodeOf } from '@hivedb/pool';
import fs from 'node:fs';
import path from 'node:path';
import { SchemaError } from './errors.js';
import type { RawDatabase } from './raw-connection.js';

/**
 * Takes an online backup of the database behind `raw` with SQLite's backup API (better-sqlite3's
 * `db.backup()`): a consistent copy, taken while the writer is held so that no write of this
 * process lands between the copy and the migration that follows.
 *
 * `target` is `true` (beside the database) or a folder. The file is named
 * `<database file name>.<UTC time>.backup` and is a complete SQLite database.
 *
 * @returns the backup's absolute path.
 */
export async function backupDatabase(
  raw: RawDatabase,
  filename: string,
  target: true | string,
): Promise<string> {
  const folder = target === true ? path.dirname(filename) : path.resolve(target);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '-');
  let dest = path.join(folder, `${path.basename(filename)}.${stamp}.backup`);
  for (let n = 2; fs.existsSync(dest); n++) {
    dest = path.join(folder, `${path.basename(filename)}.${stamp}-${n}.backup`);
  }
  try {
    ensureDatabaseFolder(dest);
    await raw.backup(dest);
    return dest;
  } catch (err) {
    const sqliteCode = sqliteCodeOf(err);
    throw new SchemaError(
      'SCHEMA_BACKUP_FAILED',
      `backup of ${filename} to ${dest} failed: ${(err as Error).message}; nothing was migrated`,
      { cause: err, ...(sqliteCode ? { sqliteCode } : {}), details: { filename, dest } },
    );
  }
}
