import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from './errors.js';

/** Where a command works: the data folder (`.hive-mind`) and the project folder around it. */
export interface HiveRoot {
  /** The folder holding `memory.db` and `hive.db`. */
  readonly dir: string;
  /** Its parent: what `@hivedb/store` calls `projectRoot` (the store always uses `<projectRoot>/.hive-mind`). */
  readonly projectRoot: string;
  /** `<dir>/memory.db`. */
  readonly memoryPath: string;
  /** `<dir>/hive.db`. */
  readonly hivePath: string;
}

/** The data folder's name the store requires. */
export const DATA_DIR_NAME = '.hive-mind';

/**
 * Resolves `--root`: the `.hive-mind` folder itself (the default, `./.hive-mind`), or a project
 * folder whose `.hive-mind` is used. The store always keeps its files in `<project>/.hive-mind`,
 * so a root of any other name is taken as the project folder.
 */
export function resolveRoot(input: string | undefined, cwd = process.cwd()): HiveRoot {
  if (input !== undefined && (input.length === 0 || input.includes('\0')))
    throw new CliError('CLI_USAGE', `--root: not a folder path: ${JSON.stringify(input)}`);
  const abs = path.resolve(cwd, input ?? DATA_DIR_NAME);
  const dir = path.basename(abs) === DATA_DIR_NAME ? abs : path.join(abs, DATA_DIR_NAME);
  return {
    dir,
    projectRoot: path.dirname(dir),
    memoryPath: path.join(dir, 'memory.db'),
    hivePath: path.join(dir, 'hive.db'),
  };
}

/** Throws `CLI_NO_ROOT` unless the data folder exists (commands other than `init` and `demo` never create it). */
export function requireRoot(root: HiveRoot): void {
  let isDir = false;
  try {
    isDir = statSync(root.dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new CliError(
      'CLI_NO_ROOT',
      `no hivedb root at ${root.dir} (run \`hivedb init --root ${root.dir}\` first, or pass --root)`,
    );
}

/** `CLI_NO_DATABASE`: the root has no `which.db` (and nothing was created). */
export function noDatabase(root: HiveRoot, which: 'memory' | 'hive', cause?: unknown): CliError {
  const file = which === 'memory' ? root.memoryPath : root.hivePath;
  return new CliError(
    'CLI_NO_DATABASE',
    `no ${which}.db at ${file} (nothing was created; \`hivedb init --root ${root.dir}\` creates a root's databases)`,
    { details: { file }, ...(cause === undefined ? {} : { cause }) },
  );
}

/** Throws `CLI_NO_ROOT` unless the root exists, `CLI_NO_DATABASE` unless the database file does; returns its path. */
export function requireDatabase(root: HiveRoot, which: 'memory' | 'hive'): string {
  requireRoot(root);
  const file = which === 'memory' ? root.memoryPath : root.hivePath;
  if (!existsSync(file)) throw noDatabase(root, which);
  return file;
}
