import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { sqliteCodeOf } from '@hivedb/pool';
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

/**
 * Writes an online backup of `memory.db` to `dest` (a path that must not exist yet): a complete
 * SQLite database holding every entry committed before the call, taken from one read snapshot
 * while writers of this and other processes go on. It is written under a temporary name beside
 * `dest` and renamed into place when complete, so `dest` is never a partial file.
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
  const fail = (why: string, cause?: unknown): StoreError => {
    const sqliteCode = cause === undefined ? undefined : sqliteCodeOf(cause);
    return new StoreError('STORE_BACKUP_FAILED', `backup to ${dest} failed: ${why}`, {
      ...(cause === undefined ? {} : { cause }),
      ...(sqliteCode ? { sqliteCode } : {}),
      details: { path: dest },
    });
  };
  if (existsSync(dest))
    throw fail('the file exists (a backup never overwrites; choose a new path)');
  const temp = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await ctx.backend.transfer.backup(temp, report);
    await rename(temp, dest);
  } catch (err) {
    await Promise.all(
      ['', '-journal'].map((s) => rm(temp + s, { force: true }).catch(() => undefined)),
    );
    throw fail(err instanceof Error ? err.message : String(err), err);
  }
  // The rename is durable once the folder is synced (where the platform allows it).
  try {
    const dir = await open(path.dirname(dest), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // Not supported everywhere (Windows); the file itself was synced by SQLite.
  }
  const { size } = await stat(dest);
  return { path: dest, bytes: size, durationMs: performance.now() - started };
}
