import { fstatSync, readdirSync, statSync } from 'node:fs';
import { CliError } from '../errors.js';
import { printable } from '../terminal-text.js';

// Where the kernel lists the descriptors of the calling process (Linux; macOS and the BSDs).
const FD_FOLDERS = ['/proc/self/fd', '/dev/fd'] as const;

function descriptors(): number[] | null {
  for (const dir of FD_FOLDERS) {
    try {
      return readdirSync(dir)
        .map(Number)
        .filter((fd) => Number.isInteger(fd));
    } catch {
      // not this platform's folder
    }
  }
  return null;
}

/**
 * Whether this process has `file` open through any descriptor — a SQLite connection of a pool
 * of this process (or of the program that called `run()`) — compared by device and inode, so a
 * symlink or a hard link to the file counts. POSIX record locks belong to the process, and
 * closing ANY descriptor of a file drops every lock the process holds on it, SQLite's included
 * (the shared lock that stops another process's last close from deleting the WAL, the -shm's):
 * a file this returns true for must never be opened and closed by the CLI. `false` for a
 * missing file, and where descriptors cannot be listed (Windows, whose locks are not POSIX's).
 *
 * @example
 * if (isOpenInProcess('/srv/.hive-mind/memory.db')) return; // do not read its header
 */
export function isOpenInProcess(file: string): boolean {
  let st: { dev: number; ino: number } | undefined;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  if (st === undefined) return false;
  const { dev, ino } = st;
  return (
    descriptors()?.some((fd) => {
      try {
        const s = fstatSync(fd);
        return s.dev === dev && s.ino === ino;
      } catch {
        // closed meanwhile (the listing's own descriptor among them)
        return false;
      }
    }) ?? false
  );
}

/**
 * Throws `CLI_FILE_IN_USE` (exit 1) when this process has `file` open ({@link isOpenInProcess}):
 * the command would open and close a descriptor of it (to read a header, to inspect or copy it),
 * dropping the locks its other users in this process hold. Only `run()` inside a program that
 * uses the database meets this; `hivedb` itself reads a file before it opens a pool on it.
 */
export function requireNotOpenInProcess(file: string, what?: string): void {
  if (!isOpenInProcess(file)) return;
  throw new CliError(
    'CLI_FILE_IN_USE',
    `${what === undefined ? '' : `${what}: `}${printable(file)} is open in this process (\`run()\` inside a program that uses it): opening and closing a descriptor of it here would drop the SQLite locks the program holds on it (POSIX locks belong to the process); run \`hivedb\` as a child process instead`,
    { details: { file } },
  );
}
