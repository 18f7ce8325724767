import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** The database file's header, overwritten by `corruptHeader` until `restore()` is called. */
export interface CorruptedHeader {
  /** Writes the saved 100 bytes back. Idempotent. */
  restore(): void;
}

/**
 * Overwrites the first 100 bytes of a database file (SQLite's header, with its magic string)
 * with garbage, so that a connection that reads it from disk fails with SQLITE_NOTADB.
 * Connections already open may still serve cached pages: open new ones to meet the fault.
 * Checkpoint the WAL first (page 1 must come from the main file).
 */
export function corruptHeader(file: string): CorruptedHeader {
  const saved = Buffer.alloc(100);
  const fd = openSync(file, 'r+');
  try {
    const n = readSync(fd, saved, 0, 100, 0);
    if (n !== 100) throw new Error(`${file}: header is ${n} bytes, not 100`);
    writeSync(fd, Buffer.alloc(100, 0xa5), 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      const fd2 = openSync(file, 'r+');
      try {
        writeSync(fd2, saved, 0, 100, 0);
      } finally {
        closeSync(fd2);
      }
    },
  };
}
