import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { TestkitError } from '../errors.js';

function mustExist(where: string, file: string): void {
  if (!existsSync(file))
    throw new TestkitError('TESTKIT_INVALID_ARGUMENT', `${where}: ${file} does not exist`);
}

/** Undoes a fault. Idempotent. */
export interface Restorable {
  restore(): void;
}

/**
 * Makes a database read-only on disk: the file, its `-wal`/`-shm` and its folder lose their
 * write bits. Root ignores permission bits, so a test running as root must meet the fault in a
 * child that obeys them: `spawnChild(…, permissionChecked())`.
 */
export function makeReadOnly(dbPath: string): Restorable {
  mustExist('makeReadOnly', dbPath);
  const targets = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter((f) => existsSync(f));
  const folder = dirname(dbPath);
  const saved = [...targets, folder].map((f) => [f, statSync(f).mode & 0o7777] as const);
  for (const f of targets) chmodSync(f, 0o444);
  chmodSync(folder, 0o555);
  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      for (const [f, mode] of saved) if (existsSync(f)) chmodSync(f, mode);
    },
  };
}

/**
 * The `spawnChild` / `runStoreWorker` options under which a child meets file permission bits
 * for real: `{ permissionChecks: true }` (root without the capabilities that override them; it
 * still reads the checkout wherever it lives, since the checkout and the test's files are
 * root's). A process that is not root obeys permission bits already: the option is ignored.
 *
 * @example
 * const ro = makeReadOnly(dbPath);
 * await runStoreWorker(root, options, 'readonly-probe', args, permissionChecked());
 */
export function permissionChecked(): { readonly permissionChecks: true } {
  return { permissionChecks: true };
}

/**
 * A user id and group id without privileges (`nobody`), when this process may switch to it.
 * @deprecated A child run as another user must be able to enter every folder above the
 * checkout (it fails under a private `0700` folder); use `permissionChecked()`.
 */
export function unprivilegedUser(): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  return { uid: 65534, gid: 65534 };
}

/** Cuts a file to `bytes` (default: half its size). Returns the new size. */
export function truncateFile(file: string, bytes?: number): number {
  mustExist('truncateFile', file);
  const size = bytes ?? Math.floor(statSync(file).size / 2);
  if (!Number.isSafeInteger(size) || size < 0)
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `truncateFile: bytes ${bytes} is not an integer ≥ 0`,
    );
  truncateSync(file, size);
  return size;
}

/** The page size of a database file, read from its header (bytes 16–17; 1 means 65536). */
export function pageSizeOf(dbPath: string): number {
  mustExist('pageSizeOf', dbPath);
  const header = Buffer.alloc(100);
  const fd = openSync(dbPath, 'r');
  try {
    if (readSync(fd, header, 0, 100, 0) !== 100)
      throw new TestkitError('TESTKIT_FAULT_FAILED', `${dbPath}: shorter than a SQLite header`);
  } finally {
    closeSync(fd);
  }
  const raw = header.readUInt16BE(16);
  return raw === 1 ? 65536 : raw;
}

/**
 * Overwrites page `page` (1-based; page 1 holds the header and the schema) of a database file
 * with garbage, as a torn write or a bad disk would. Checkpoint the WAL first (the page must come
 * from the main file), and open new connections to meet it: open ones may have it cached.
 * Returns `restore()`, which writes the saved page back.
 */
export function corruptPage(dbPath: string, page: number): Restorable {
  const pageSize = pageSizeOf(dbPath);
  const pages = Math.floor(statSync(dbPath).size / pageSize);
  if (!Number.isSafeInteger(page) || page < 1 || page > pages)
    throw new TestkitError(
      'TESTKIT_INVALID_ARGUMENT',
      `corruptPage: page ${page} is not between 1 and ${pages} (the file's pages)`,
    );
  const offset = (page - 1) * pageSize;
  const saved = Buffer.alloc(pageSize);
  const fd = openSync(dbPath, 'r+');
  try {
    readSync(fd, saved, 0, pageSize, offset);
    // A page-type byte SQLite never writes, then noise: integrity_check reports it as corrupt.
    const garbage = Buffer.alloc(pageSize, 0xa5);
    writeSync(fd, garbage, 0, pageSize, offset);
  } finally {
    closeSync(fd);
  }
  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      const fd2 = openSync(dbPath, 'r+');
      try {
        writeSync(fd2, saved, 0, pageSize, offset);
      } finally {
        closeSync(fd2);
      }
    },
  };
}
