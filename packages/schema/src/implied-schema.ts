import { createPool } from '@hivedb/pool';
import { readLiveSchema } from './live-schema.js';
import type { MigrationFile } from './migration-files.js';
import { queryableOf } from './raw-connection.js';
import type { TableShape } from './table-shape.js';

/** Built once per list of migrations (by tag and hash): a handful of lists per process. */
const built = new Map<string, Promise<readonly TableShape[]>>();

/**
 * The tables a database must have when exactly `files` are applied: the migrations run, in
 * order, on an empty in-memory database, and its schema read back as `readLiveSchema` reads a
 * live one. Compared with a live database by `checkIntegrity`, it is the schema its migration
 * record implies, whichever migration it is at.
 */
export function impliedSchema(files: readonly MigrationFile[]): Promise<readonly TableShape[]> {
  const key = files.map((f) => `${f.tag}:${f.up.hash}`).join('\n');
  let shapes = built.get(key);
  if (shapes === undefined) {
    shapes = build(files);
    built.set(key, shapes);
    shapes.catch(() => built.delete(key));
  }
  return shapes;
}

async function build(files: readonly MigrationFile[]): Promise<readonly TableShape[]> {
  const pool = createPool({ filename: ':memory:', memory: true, healthCheckInterval: 0 });
  try {
    return await pool.withConnection(
      (lease) => {
        const db = queryableOf(lease.raw);
        for (const file of files) for (const statement of file.up.statements) db.exec(statement);
        return readLiveSchema(db);
      },
      { mode: 'write' },
    );
  } finally {
    await pool.close();
  }
}
