import { CliError } from '../errors.js';

/**
 * The process's stdout, written so that a reader that goes away (`hivedb list | head -1`: the
 * pipe closes, the next write fails with EPIPE) ends the command quietly, as `git log | head`
 * does, instead of an unhandled 'error' event that kills the process with exit 1.
 */
let closed = false;
let failure: Error | undefined;
let watching = false;

function watch(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') closed = true;
    else failure ??= err;
  });
}

/** Whether stdout's reader went away (EPIPE): nothing more can be printed, and nothing needs to be. */
export function stdoutClosed(): boolean {
  return closed;
}

/**
 * Writes to stdout; a no-op once the reader went away. A stdout that failed for another reason
 * (EIO, a full disk behind `> file`) is `CLI_IO`.
 */
export function writeStdout(text: string): void {
  if (closed) return;
  if (failure !== undefined)
    throw new CliError('CLI_IO', `cannot write to stdout: ${failure.message}`, { cause: failure });
  watch();
  process.stdout.write(text);
}
