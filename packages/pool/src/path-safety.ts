import fs from 'node:fs';
import path from 'node:path';
import { HiveDbError } from './errors.js';

/** Deeper paths are refused: no database needs them, and they only exhaust resolvers. */
const MAX_DEPTH = 64;

/**
 * A `POOL_UNSAFE_PATH` error: `filename` can never hold a database, for the reason `why`
 * (`cause`: the file-system error that showed it).
 */
export function unsafe(
  filename: string,
  why: string,
  cause?: unknown,
  details?: Readonly<Record<string, unknown>>,
): HiveDbError {
  return new HiveDbError(
    'POOL_UNSAFE_PATH',
    `refused database path ${JSON.stringify(filename)}: ${why}`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { filename, reason: why, ...details },
    },
  );
}

/** The real path of the longest existing prefix of `p`, with the rest appended. */
function realpathOfExisting(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = fs.realpathSync.native(existing);
      return rest.length === 0 ? real : path.join(real, ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        // ELOOP (a symlink cycle), ENAMETOOLONG, EACCES: nothing we can prove stays inside the root.
        throw unsafe(p, `cannot be resolved (${code ?? 'error'})`);
      }
      const parent = path.dirname(existing);
      if (parent === existing) return p;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Resolves a database `filename` inside `root`, refusing anything that could touch a file outside
 * it: `..` escapes, absolute paths elsewhere, symlinks (of the file or any folder on its way)
 * that leave the root, NUL bytes, URI filenames, and `:memory:` unless `allowMemory`. Nothing is
 * created or opened. Returns the absolute path (or `':memory:'`).
 *
 * @example
 * resolveDatabasePath('memory.db', '/srv/app/.hive-mind') // '/srv/app/.hive-mind/memory.db'
 */
export function resolveDatabasePath(filename: string, root: string, allowMemory = false): string {
  if (typeof filename !== 'string' || filename.length === 0)
    throw unsafe(String(filename), 'empty');
  if (filename.includes('\0') || root.includes('\0')) throw unsafe(filename, 'contains a NUL byte');
  if (filename === ':memory:') {
    if (allowMemory) return ':memory:';
    throw unsafe(filename, "':memory:' is allowed only with the option memory: true");
  }
  if (/^file:/i.test(filename)) throw unsafe(filename, 'URI filenames are not accepted');
  if (filename.startsWith(':'))
    throw unsafe(filename, 'names starting with ":" are reserved by SQLite');
  if (filename.length > 4096) throw unsafe(filename, 'longer than 4096 characters');
  if (filename.includes('\\')) throw unsafe(filename, 'contains a backslash');
  if (filename.split('/').length > MAX_DEPTH)
    throw unsafe(filename, `nests deeper than ${MAX_DEPTH} folders`);

  const absRoot = path.resolve(root);
  let realRoot: string;
  try {
    realRoot = fs.realpathSync.native(absRoot);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw unsafe(filename, `root ${absRoot} cannot be resolved (${code})`);
    // A root that does not exist yet is created by the caller; resolve what exists of it.
    realRoot = realpathOfExisting(absRoot);
  }
  try {
    if (fs.existsSync(realRoot) && !fs.statSync(realRoot).isDirectory())
      throw unsafe(filename, `root ${absRoot} is not a folder`);
  } catch (err) {
    if (err instanceof HiveDbError) throw err;
  }

  const candidate = path.resolve(absRoot, filename);
  if (!isInside(absRoot, candidate)) throw unsafe(filename, `resolves outside the root ${absRoot}`);
  const real = realpathOfExisting(candidate);
  if (!isInside(realRoot, real))
    throw unsafe(filename, `leads outside the root ${absRoot} through a symbolic link`);
  try {
    // realpath stops at a dangling symlink; SQLite would follow it and create the target.
    if (fs.lstatSync(real).isSymbolicLink())
      throw unsafe(filename, 'is a symbolic link to nothing');
  } catch (err) {
    if (err instanceof HiveDbError) throw err;
  }
  try {
    const st = fs.statSync(real);
    if (st.isDirectory()) throw unsafe(filename, 'is a folder');
  } catch (err) {
    if (err instanceof HiveDbError) throw err;
  }
  // SQLite opens `<db>-wal` and `<db>-shm` beside the file: a symlink there could leave the root too.
  // A dangling one would make SQLite create its target, wherever that is.
  for (const suffix of ['-wal', '-shm', '-journal']) {
    const side = `${real}${suffix}`;
    let link = false;
    try {
      link = fs.lstatSync(side).isSymbolicLink();
    } catch {
      // No such file: SQLite creates it beside the database.
    }
    if (!link) continue;
    let target: string;
    try {
      target = fs.realpathSync.native(side);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw unsafe(
        filename,
        code === 'ENOENT'
          ? `its ${suffix} file is a symbolic link to nothing`
          : `its ${suffix} file is a symbolic link that cannot be resolved (${code ?? 'error'})`,
      );
    }
    if (!isInside(realRoot, target))
      throw unsafe(filename, `its ${suffix} file leads outside the root through a symbolic link`);
  }
  return real;
}
