import fs from 'node:fs';
import path from 'node:path';
import { HiveDbError } from './errors.js';
import { unsafe } from './path-safety.js';

/**
 * Linux file systems whose files are the kernel's, not data (statfs `f_type`): a database can
 * never live there. procfs also answers `mkdir` with ENOENT, which made Node's recursive mkdir
 * retry the parent forever.
 */
const VIRTUAL_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x62656570, 'configfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x65735543, 'fusectl'],
]);

/** Node's error codes said in words (the code itself goes in brackets, once). */
const REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'a name in the path is too long',
  ELOOP: 'too many symbolic links on the way',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'it is on a read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EIO: 'an I/O error',
};

/** Errors that no retry, permission or remount can cure: the path can never hold a database. */
const NEVER = new Set(['ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? 'error';
}

/** A reason in words followed by the Node code, without repeating Node's own `CODE: …` prefix. */
function reasonOf(err: unknown): string {
  const code = errnoOf(err);
  const words =
    REASONS[code] ??
    (err instanceof Error ? err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '') : '');
  return `${words} (${code})`;
}

/** The error for a failed file-system call on `where`, on the way to `filename`. */
function folderError(filename: string, where: string, doing: string, err: unknown): HiveDbError {
  const errno = errnoOf(err);
  const reason = `cannot ${doing} ${where}: ${reasonOf(err)}`;
  const details = { path: where, errno };
  if (NEVER.has(errno)) return unsafe(filename, reason, err, details);
  return new HiveDbError('POOL_OPEN_FAILED', `cannot open ${filename}: ${reason}`, {
    cause: err,
    details: { filename, reason, ...details },
  });
}

/** `POOL_UNSAFE_PATH` when `folder` lies on a kernel file system (procfs, sysfs, …). */
function refuseVirtual(filename: string, folder: string): void {
  if (process.platform !== 'linux') return;
  let type: number;
  try {
    type = Number(fs.statfsSync(folder).type);
  } catch {
    return; // the open that follows reports what is wrong
  }
  const name = VIRTUAL_FILE_SYSTEMS.get(type);
  if (name !== undefined)
    throw unsafe(
      filename,
      `${folder} is on ${name}, a kernel file system that cannot hold a database`,
    );
}

/** The nearest folder of `folder` (itself included) that exists, and the missing ones below it, outermost first. */
function splitExisting(filename: string, folder: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  // Each step goes one level up, so this ends at the file system's root at the latest.
  for (let dir = folder; ; dir = path.dirname(dir)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT' || path.dirname(dir) === dir)
        throw folderError(filename, dir, 'reach', err);
      missing.unshift(dir);
      continue;
    }
    if (!st.isDirectory()) throw unsafe(filename, `${dir} is a file, not a folder`);
    return { existing: dir, missing };
  }
}

/**
 * Makes sure the folder of a database file can hold it, creating missing folders one level at a
 * time with plain `mkdir` (never Node's recursive mkdir, which spins forever on procfs): each
 * `mkdir` is tried once, so this always ends. With `create: false` nothing is created.
 *
 * Throws `POOL_UNSAFE_PATH` for a path that can never hold a database (on procfs, sysfs or
 * another kernel file system; through a regular file; a name too long; a symlink loop) and
 * `POOL_OPEN_FAILED` for one that cannot now (permission, read-only mount, disk full), both
 * naming the path and the reason, with Node's error as `cause`.
 *
 * @example
 * ensureDatabaseFolder('/srv/app/.hive-mind/memory.db'); // creates /srv/app/.hive-mind if missing
 */
export function ensureDatabaseFolder(filename: string, options?: { create?: boolean }): void {
  const folder = path.dirname(filename);
  const { existing, missing } = splitExisting(filename, folder);
  refuseVirtual(filename, existing);
  if (options?.create === false) return;
  for (const dir of missing) {
    try {
      fs.mkdirSync(dir);
    } catch (err) {
      // Another process may have made it meanwhile.
      if (errnoOf(err) === 'EEXIST' && fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
        continue;
      if (errnoOf(err) === 'ENOENT')
        // The parent exists (it was just made or found): the file system refuses new folders.
        throw unsafe(
          filename,
          `cannot create the folder ${dir}: its file system refuses new folders (ENOENT)`,
          err,
          { path: dir, errno: 'ENOENT' },
        );
      throw folderError(filename, dir, 'create the folder', err);
    }
  }
}
