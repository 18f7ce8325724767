import fs from 'node:fs';

/** The size of the database's WAL file in bytes (0 when there is none). */
export function walBytes(filename: string): number {
  if (filename === ':memory:') return 0;
  try {
    return fs.statSync(`${filename}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * The file whose lock elects the checkpointer of `filename`: an empty SQLite database beside it.
 * The process whose connection holds its write lock (`BEGIN IMMEDIATE`, never committed) is the
 * checkpointer; the kernel drops that lock when the process dies, and another takes over.
 */
export function checkpointerLockPath(filename: string): string {
  return `${filename}-checkpointer`;
}
