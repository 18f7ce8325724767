import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { parseFilePath } from '../parse.js';
import type { HiveRoot } from '../root.js';
import { printable } from '../terminal-text.js';
import { ensureDir } from './ensure-dir.js';
import { isOpenInProcess } from './open-in-process.js';
import { isSqliteFile, readHead, SIDECAR_SUFFIXES, sidecarBase } from './sqlite-file.js';

/** How a command writes its output file. */
export interface OutputFileOptions {
  /** The command, for messages (`export`, `report --html`, `backup`). */
  readonly what: string;
  /** Replace an existing file. Never a database, its sidecars, a file of the root or a non-file. */
  readonly force?: boolean;
  /**
   * The command's own default output (the demo's `<root>/report.html`): replaced without
   * `force`, even inside the root, as long as it is a regular file (not a symlink) and not a
   * database. A path the user gave is never this.
   */
  readonly ownedPath?: string;
}

/** A checked target. */
export interface OutputTarget {
  /** Where the file goes: absolute, its folders' symlinks resolved (a symlink at the target itself is replaced, never followed). */
  readonly path: string;
  /** Something (a file or a symlink) is there now. */
  readonly exists: boolean;
}

/** Why a target was refused (`details.reason` of `CLI_UNSAFE_OUTPUT`). */
export type UnsafeOutputReason =
  | 'not-a-file'
  | 'in-root'
  | 'in-use'
  | 'database'
  | 'sidecar'
  | 'exists';

const MAX_LINKS = 40;
const DATABASE_NAMES = new Set(['memory.db', 'hive.db']);
// The big-endian magic number of a WAL file (two values: little- or big-endian checksums).
const WAL_MAGIC = [0x377f0682, 0x377f0683];

/** `p` with every symlink resolved, its own included; missing parts appended as they are. */
function realTarget(p: string, depth = 0): string {
  try {
    return realpathSync.native(p);
  } catch {
    // missing, or a dangling symlink: resolve what exists
  }
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (st?.isSymbolicLink() && depth < MAX_LINKS)
    return realTarget(path.resolve(path.dirname(p), readlinkSync(p)), depth + 1);
  const parent = path.dirname(p);
  return parent === p ? p : path.join(realTarget(parent, depth + 1), path.basename(p));
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Whether `st` is the same file as another one directly in `dir` (a hard link to a root file). */
function isLinkedInto(dir: string, st: Stats, self: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  return names.some((n) => {
    if (path.join(dir, n) === self) return false;
    const s = statSync(path.join(dir, n), { throwIfNoEntry: false });
    return s !== undefined && s.dev === st.dev && s.ino === st.ino;
  });
}

function isWalFile(file: string): boolean {
  const head = readHead(file, 4);
  return head !== null && head.length === 4 && WAL_MAGIC.includes(head.readUInt32BE(0));
}

/**
 * Checks where a command may write `file`, or throws: `CLI_USAGE` for a NUL byte;
 * `CLI_UNSAFE_OUTPUT` (exit 1) for a target that is not a regular file, a file of the open root
 * (or the name of one of its databases or their sidecars), a file this process has open, a
 * SQLite database anywhere, the `-wal`/`-shm`/`-journal`/`-checkpointer` of one — all refused
 * even with `force` — or an existing file without `force`. Symlinks are resolved first: a
 * symlink to `memory.db` is `memory.db`.
 *
 * Deciding needs the first bytes of some files (is it SQLite? a WAL?), read through a descriptor
 * opened and closed here. Closing a descriptor drops every POSIX lock the process holds on the
 * file, so a file of the root, or one this process has open, is refused on its name, its inode
 * or the process's descriptors before anything reads it.
 *
 * @example
 * checkOutputPath(ctx.root, 'entries.jsonl', { what: 'export', force: false });
 */
export function checkOutputPath(
  root: HiveRoot,
  file: string,
  options: OutputFileOptions,
): OutputTarget {
  const what = options.what;
  const abs = path.resolve(parseFilePath(file, what));
  const at = path.join(realTarget(path.dirname(abs)), path.basename(abs));
  const own = lstatSync(at, { throwIfNoEntry: false });
  const dest = own?.isSymbolicLink() ? realTarget(at) : at;
  const st = statSync(dest, { throwIfNoEntry: false });
  const shown = `${printable(abs)}${dest !== abs ? ` (→ ${printable(dest)})` : ''}`;
  const refuse = (reason: UnsafeOutputReason, why: string) =>
    new CliError('CLI_UNSAFE_OUTPUT', `${what}: ${shown} ${why}`, {
      details: { path: abs, target: dest, reason },
    });
  const always = 'no command writes over one, even with --force';
  const ownedAt =
    options.ownedPath === undefined
      ? undefined
      : path.join(realTarget(path.dirname(options.ownedPath)), path.basename(options.ownedPath));
  const owned = ownedAt === at && dest === at;

  if ((own !== undefined && !own.isFile() && !own.isSymbolicLink()) || (st && !st.isFile()))
    throw refuse('not-a-file', `is not a regular file (${always})`);
  const realRoot = realTarget(root.dir);
  for (const p of new Set([at, dest])) {
    const name = path.basename(p);
    const reserved = DATABASE_NAMES.has(name) || sidecarBase(name) !== null;
    if (!owned && isInside(realRoot, p) && (reserved || lstatSync(p, { throwIfNoEntry: false })))
      throw refuse('in-root', `is inside the root ${printable(realRoot)} (${always})`);
  }
  if (st !== undefined && isLinkedInto(realRoot, st, dest))
    throw refuse(
      'in-root',
      `is a hard link to a file of the root ${printable(realRoot)} (${always})`,
    );
  if (st !== undefined && isOpenInProcess(dest))
    throw refuse('in-use', `is open in this process, as a database or otherwise (${always})`);
  if (st !== undefined && isSqliteFile(dest))
    throw refuse('database', `is a SQLite database (${always})`);
  for (const p of new Set([at, dest])) {
    const side = sidecarBase(p);
    if (side === null) continue;
    // The base may be (a link to) a database of the root or one open here: never read then.
    const base = realTarget(side.base);
    const baseSt = statSync(base, { throwIfNoEntry: false });
    const live =
      isInside(realRoot, base) ||
      (baseSt !== undefined && (isOpenInProcess(base) || isLinkedInto(realRoot, baseSt, base)));
    if (live || isSqliteFile(base) || (side.suffix === '-wal' && isWalFile(p)))
      throw refuse(
        'sidecar',
        `is the ${side.suffix} file of the SQLite database ${printable(side.base)} (${always})`,
      );
  }
  if (own !== undefined && options.force !== true && !owned)
    throw refuse('exists', 'exists already (pass --force to replace it)');
  return { path: at, exists: own !== undefined };
}

function removeTemp(temp: string): void {
  for (const suffix of ['', ...SIDECAR_SUFFIXES]) rmSync(`${temp}${suffix}`, { force: true });
}

function syncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a command's output file safely: checks the target ({@link checkOutputPath}), creates
 * its folder, lets `write` fill a new temporary file beside it (the path passed, which does not
 * exist yet), then moves it into place in one step — a hard link that cannot replace anything,
 * or with `force` a rename that replaces the file (or a symlink) there, never what a symlink
 * points at. A failed `write` leaves no file behind, neither the target nor the temporary one.
 *
 * @example
 * await writeOutputFile(ctx.root, file, { what: 'report --html' }, async (tmp) => {
 *   writeFileSync(tmp, html, { flag: 'wx' });
 * });
 */
export async function writeOutputFile<T>(
  root: HiveRoot,
  file: string,
  options: OutputFileOptions,
  write: (tempPath: string) => Promise<T> | T,
): Promise<{ path: string; result: T }> {
  const target = checkOutputPath(root, file, options);
  const dir = path.dirname(target.path);
  ensureDir(dir);
  const temp = path.join(
    dir,
    `.${path.basename(target.path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    const result = await write(temp);
    syncFile(temp);
    // The target is checked again: it may have appeared, or changed, while `write` ran.
    const now = checkOutputPath(root, file, options);
    if (now.exists) renameSync(temp, now.path);
    else {
      try {
        linkSync(temp, now.path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Something appeared there meanwhile: the check says whether it may be replaced.
        const again = code === 'EEXIST' ? checkOutputPath(root, file, options) : now;
        // (or a file system without hard links: a rename, the target having been checked just now)
        renameSync(temp, again.path);
      }
    }
    return { path: now.path, result };
  } catch (err) {
    // A file system error (the folder refused the file, the disk is full) is this command's
    // I/O failure; any other error (the store's, a refusal) keeps its code.
    if (err instanceof CliError || typeof (err as { syscall?: unknown }).syscall !== 'string')
      throw err;
    throw new CliError(
      'CLI_IO',
      `${options.what}: could not write ${printable(target.path)}: ${printable((err as Error).message)}`,
      { cause: err },
    );
  } finally {
    removeTemp(temp);
  }
}
