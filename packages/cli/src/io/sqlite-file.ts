import { closeSync, openSync, readSync } from 'node:fs';
import { requireNotOpenInProcess } from './open-in-process.js';

/** The first 16 bytes of every SQLite database file. */
export const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The suffixes of the files kept beside a database: SQLite's `-wal`, `-shm` and `-journal`, and
 * the pool's `-checkpointer` (the lock its checkpointer election holds).
 */
export const SIDECAR_SUFFIXES = ['-wal', '-shm', '-journal', '-checkpointer'] as const;

/**
 * The first `n` bytes of a file (fewer when it is shorter), or `null` when it cannot be read.
 * `CLI_FILE_IN_USE` for a file this process has open: the descriptor this opens and closes
 * would drop the process's POSIX locks on it (a SQLite connection's among them). Callers that
 * can name a better refusal check `isOpenInProcess` first.
 */
export function readHead(file: string, n: number): Buffer | null {
  requireNotOpenInProcess(file, 'reading the header');
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether `file` begins with the SQLite header (a database, whatever its name). */
export function isSqliteFile(file: string): boolean {
  return readHead(file, SQLITE_HEADER.length)?.equals(SQLITE_HEADER) === true;
}

/** `memory.db` for `memory.db-wal`; `null` for a name without a sidecar suffix. */
export function sidecarBase(file: string): { base: string; suffix: string } | null {
  for (const suffix of SIDECAR_SUFFIXES)
    if (file.endsWith(suffix) && file.length > suffix.length)
      return { base: file.slice(0, -suffix.length), suffix };
  return null;
}
