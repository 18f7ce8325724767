import { HiveDbError, type HiveDbErrorOptions } from '@hivedb/pool';
import { printable } from './terminal-text.js';

/**
 * Every error code the CLI raises itself. Errors of the other packages keep their own codes
 * (`STORE_INVALID_KEY`, `SCHEMA_DRIFT`, …) and are printed with them.
 */
export type CliErrorCode =
  /** Bad usage: an unknown option, a missing argument, a value of the wrong form (exit 2). */
  | 'CLI_USAGE'
  /** A value given as JSON on the command line (or in a file) did not parse (exit 2). */
  | 'CLI_BAD_JSON'
  /** The root folder does not exist (exit 1). */
  | 'CLI_NO_ROOT'
  /** A database file of the root (`memory.db`, `hive.db`) does not exist; nothing was created (exit 1). */
  | 'CLI_NO_DATABASE'
  /**
   * A database file is not one hivedb can read as it is: empty, not SQLite, another database's
   * file, pending, drifted or unknown migrations. Read-only commands never repair it (exit 1).
   */
  | 'CLI_BAD_DATABASE'
  /**
   * A command refused to write a file: it exists (and `--force` was not given), or it is a
   * database, a database's `-wal`/`-shm`/`-journal`, a file of the open root or not a regular
   * file (refused even with `--force`) (exit 1).
   */
  | 'CLI_UNSAFE_OUTPUT'
  /** `demo` refused a root holding entries outside its own `demo:` namespaces (exit 1). */
  | 'CLI_ROOT_HAS_DATA'
  /** The command was stopped by SIGINT (Ctrl-C) after cleaning up (exit 130). */
  | 'CLI_INTERRUPTED'
  /** `get` / `delete` of a key that has no live entry (exit 1). */
  | 'CLI_NOT_FOUND'
  /** A check found a problem: integrity, drift, lost updates (exit 1). */
  | 'CLI_CHECK_FAILED'
  /** The installed `@hivedb/store` does not provide what the command needs (exit 1). */
  | 'CLI_NOT_AVAILABLE'
  /** A file could not be read or written (exit 1). */
  | 'CLI_IO'
  /**
   * A file the command would open and close is open in this process (`run()` inside a program
   * that uses the database): doing so would drop the program's POSIX locks on it, SQLite's
   * included (exit 1).
   */
  | 'CLI_FILE_IN_USE';

/** Exit status of a usage error. */
export const EXIT_USAGE = 2;
/** Exit status of a failed command or check. */
export const EXIT_FAILED = 1;
/** Exit status of a command stopped by SIGINT (128 + 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/**
 * The CLI's own error: a `HiveDbError` whose `code` is a {@link CliErrorCode}, with the exit
 * status it ends the process with.
 *
 * @example
 * throw new CliError('CLI_NOT_FOUND', 'no entry "plan" in namespace "shared_state"');
 */
export class CliError extends HiveDbError {
  declare readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options: HiveDbErrorOptions = {}) {
    super(code, message, options);
  }

  /** 2 for `CLI_USAGE` and `CLI_BAD_JSON`, 130 for `CLI_INTERRUPTED`, 1 otherwise. */
  get exitCode(): number {
    if (this.code === 'CLI_USAGE' || this.code === 'CLI_BAD_JSON') return EXIT_USAGE;
    return this.code === 'CLI_INTERRUPTED' ? EXIT_INTERRUPTED : EXIT_FAILED;
  }
}

/** Input errors of the other packages that are the caller's bad usage (exit 2), not a failure. */
const USAGE_CODES = new Set([
  'STORE_INVALID_KEY',
  'STORE_INVALID_NAMESPACE',
  'STORE_INVALID_VALUE',
  'STORE_INVALID_ARGUMENT',
  'STORE_INVALID_OPTION',
  'STORE_INVALID_CURSOR',
  'SCHEMA_INVALID_OPTION',
  'SCHEMA_UNKNOWN_TARGET',
  'POOL_INVALID_OPTION',
  'POOL_UNSAFE_PATH',
]);

/** The exit status an error ends the process with. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && USAGE_CODES.has(code)) return EXIT_USAGE;
  if (typeof code === 'string' && code.startsWith('commander.')) return EXIT_USAGE;
  return EXIT_FAILED;
}

/**
 * `CODE: message` for one line of output; with `verbose`, the chain of causes after it. Messages
 * quote keys, paths and SQLite's words: their control characters are shown escaped.
 */
export function describeError(err: unknown, verbose: boolean): string {
  const code = (err as { code?: unknown } | null)?.code;
  const text = err instanceof Error ? err.message : String(err);
  // A raw line break in a message is the message's own layout: one line is the first one.
  const message = printable(verbose ? text : (text.split('\n')[0] ?? text));
  const head = typeof code === 'string' ? `${printable(code)}: ${message}` : message;
  if (!verbose) return head;
  const lines = [head];
  let cause = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    const c = (cause as { code?: unknown } | null)?.code;
    const m = printable(cause instanceof Error ? cause.message : String(cause));
    lines.push(`  caused by ${typeof c === 'string' ? `${printable(c)}: ` : ''}${m}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (err instanceof Error && err.stack !== undefined)
    lines.push(...err.stack.split('\n').map(printable));
  return lines.join('\n');
}
