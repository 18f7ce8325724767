import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { copyFile, link, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ensureDatabaseFolder, sqliteCodeOf } from '@hivedb/pool';
import type { StoreContext } from './context.js';
import { invalidArgument, StoreError } from './errors.js';
import type { BackupProgress } from './transfer-backend.js';

/** Options of `backup()`. */
export interface BackupOptions {
  /** Called between the backup's steps (and once at the end with `remainingPages: 0`). */
  readonly onProgress?: (p: BackupProgress) => void;
}

/** What `backup()` wrote. */
export interface BackupResult {
  /** The backup's absolute path. */
  readonly path: string;
  /** Its size in bytes. */
  readonly bytes: number;
  readonly durationMs: number;
}

/** An absolute path for a new file, or `STORE_INVALID_ARGUMENT`. */
export function checkFilePath(name: string, input: unknown): string {
  if (
    typeof input !== 'string' ||
    input.trim() === '' ||
    input.includes('\0') ||
    input === ':memory:' ||
    /^file:/i.test(input)
  )
    throw invalidArgument(name, input, 'a file path (not a URI, not :memory:)');
  return path.resolve(input);
}

function checkOptions<T extends object>(options: unknown, known: readonly string[]): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object')
    throw invalidArgument('options', options, 'an object');
  for (const k of Object.keys(options))
    if (!known.includes(k)) throw invalidArgument('options', options, `only ${known.join(', ')}`);
  const onProgress = (options as { onProgress?: unknown }).onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw invalidArgument('onProgress', onProgress, 'a function');
  return options as T;
}

/** Validates `{ onProgress }` options (shared by `backup()` and `import()`). */
export function checkProgressOptions<T extends object>(options: unknown): T {
  return checkOptions<T>(options, ['onProgress']);
}

/** Calls a caller's progress callback; a throw is reported on the `error` event, never fails the work. */
export function progressReporter<P>(
  ctx: StoreContext,
  where: string,
  fn: ((p: P) => void) | undefined,
): (p: P) => void {
  if (fn === undefined) return () => undefined;
  return (p) => {
    try {
      fn(p);
    } catch (err) {
      ctx.reportError(where, err);
    }
  };
}

/** Links `temp` to `dest`, failing with EEXIST if `dest` exists (a copy where links are not supported). */
async function placeNoClobber(temp: string, dest: string): Promise<void> {
  try {
    await link(temp, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') throw err;
    // No hard links here (some file systems): an exclusive copy never overwrites either.
    await copyFile(temp, dest, fsConstants.COPYFILE_EXCL);
  }
}

/**
 * Writes an online backup of `memory.db` under a temporary name beside the first name `nameAt(1)`
 * gives, then puts it in place without ever overwriting a file: under `nameAt(1)`, or, where that
 * exists and `nameAt` gives others, the first free one of `nameAt(2)`, `nameAt(3)`, …. The
 * folder is made if missing (`@hivedb/pool`'s `ensureDatabaseFolder`) and synced after.
 * Resolves to the path written; throws `STORE_BACKUP_FAILED` naming the path.
 */
async function writeBackup(
  ctx: StoreContext,
  nameAt: (n: number) => string | undefined,
  report: (p: BackupProgress) => void,
): Promise<string> {
  const first = nameAt(1)!;
  const fail = (why: string, cause?: unknown): StoreError => {
    const sqliteCode = cause === undefined ? undefined : sqliteCodeOf(cause);
    return new StoreError('STORE_BACKUP_FAILED', `backup to ${first} failed: ${why}`, {
      ...(cause === undefined ? {} : { cause }),
      ...(sqliteCode ? { sqliteCode } : {}),
      details: { path: first },
    });
  };
  const exists = 'the file exists (a backup never overwrites; choose a new path)';
  if (existsSync(first) && nameAt(2) === undefined) throw fail(exists);
  const temp = `${first}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  let dest: string | undefined;
  try {
    ensureDatabaseFolder(first);
    await ctx.backend.transfer.backup(temp, report);
    for (let n = 1; dest === undefined; n++) {
      const name = nameAt(n);
      if (name === undefined) throw fail(exists);
      try {
        await placeNoClobber(temp, name);
        dest = name;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } catch (err) {
    if (err instanceof StoreError && err.code === 'STORE_BACKUP_FAILED') throw err;
    throw fail(err instanceof Error ? err.message : String(err), err);
  } finally {
    await Promise.all(
      ['', '-journal'].map((s) => rm(temp + s, { force: true }).catch(() => undefined)),
    );
  }
  // The new name is durable once the folder is synced (where the platform allows it).
  try {
    const dir = await open(path.dirname(dest), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // Not supported everywhere (Windows); the file itself was synced by SQLite.
  }
  return dest;
}

/**
 * Writes an online backup of `memory.db` to `dest` (a path that must not exist yet): a complete
 * SQLite database holding every entry committed before the call, taken from one read snapshot
 * while writers of this and other processes go on. It is written under a temporary name beside
 * `dest` and put in place when complete (never over an existing file), so `dest` is never a
 * partial file.
 */
export async function backup(
  ctx: StoreContext,
  destInput: unknown,
  options: unknown,
): Promise<BackupResult> {
  const started = performance.now();
  const dest = checkFilePath('path', destInput);
  const opts = checkProgressOptions<BackupOptions>(options);
  const report = progressReporter(ctx, 'backup:onProgress', opts.onProgress);
  await writeBackup(ctx, (n) => (n === 1 ? dest : undefined), report);
  const { size } = await stat(dest);
  return { path: dest, bytes: size, durationMs: performance.now() - started };
}

/**
 * The safety backup a restore writes before it replaces anything: the live `memory.db` copied to
 * `memory.db.before-restore-<UTC time>.bak` beside it (`…-2.bak`, `…-3.bak` when that name is
 * taken: it never overwrites a file). Resolves to its path.
 */
export function writeSafetyBackup(ctx: StoreContext): Promise<string> {
  const live = ctx.backend.files.memory;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '-');
  const base = `${live}.before-restore-${stamp}`;
  return writeBackup(
    ctx,
    (n) => (n === 1 ? `${base}.bak` : `${base}-${n}.bak`),
    () => undefined,
  );
}
