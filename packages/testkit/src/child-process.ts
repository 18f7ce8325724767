import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TestkitError } from './errors.js';

/** The child scripts this package ships (built to `dist/children/*.js`). */
export type ChildScript = 'lock-holder' | 'kill-during' | 'store-worker';

/**
 * `dist/children`, found from this module: beside it when it runs from `dist/`, and in the built
 * package when it runs from source (the package's own tests), since Node cannot run `.ts` files.
 */
export function childrenDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'children'), join(here, '..', 'dist', 'children')]) {
    if (existsSync(join(dir, 'store-worker.js'))) return dir;
  }
  throw new TestkitError(
    'TESTKIT_CHILD_FAILED',
    `the child scripts are missing near ${here}: build @hivedb/testkit first (pnpm --filter @hivedb/testkit build)`,
  );
}

/** Options of `spawnChild`. */
export interface SpawnChildOptions {
  /**
   * Run the child as this user id (needs root). It must then be able to read the built testkit
   * and its dependencies: a checkout under a folder that user cannot enter fails. Prefer
   * `permissionChecks`.
   */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * Run the child with file permission bits in force even when this process is root: through
   * `setpriv`, without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. The child stays root, so it
   * reads the checkout wherever it lives, and a file or folder without write bits is read-only
   * to it for real (see `permissionChecked()`). Ignored when this process is not root.
   */
  readonly permissionChecks?: boolean;
}

/** Capabilities that let root ignore permission bits; a child started with `permissionChecks` has neither. */
const PERMISSION_OVERRIDES = '-dac_override,-dac_read_search';

/** A child process started by the testkit, with its stdout split into lines. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line (past or future) that `match` accepts. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process (if alive) and resolves once it is gone. Idempotent. */
  kill(): Promise<void>;
}

const live = new Set<Child>();

/** Starts `node dist/children/<script>.js ...args`. */
export function spawnChild(
  script: ChildScript,
  args: readonly string[],
  options: SpawnChildOptions = {},
): Child {
  const file = join(childrenDir(), `${script}.js`);
  const node = [process.execPath, file, ...args];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const [command, ...argv] =
    options.permissionChecks === true && root
      ? ['setpriv', `--bounding-set=${PERMISSION_OVERRIDES}`, '--', ...node]
      : node;
  const proc = spawn(command!, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let done = false;
  proc.on('error', (err) => {
    // The child could not be started (no setpriv, say): its stderr says why, and it "exits".
    stderr += `could not start ${command}: ${err.message}\n`;
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => {
      done = true;
      for (const w of waiters) w();
      resolve({ code, signal });
    });
  });
  const child: Child = {
    process: proc,
    pid: proc.pid ?? -1,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let scanned = 0;
        const check = (): void => {
          for (; scanned < lines.length; scanned++) {
            if (match(lines[scanned]!)) {
              finish();
              resolve(lines[scanned]!);
              return;
            }
          }
          if (done) {
            finish();
            reject(
              new TestkitError(
                'TESTKIT_CHILD_FAILED',
                `child ${script} exited before the awaited line; stderr:\n${stderr}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new TestkitError(
              'TESTKIT_CHILD_FAILED',
              `child ${script}: no awaited line after ${timeoutMs} ms; stderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        timer.unref();
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (!done) proc.kill('SIGKILL');
      await exited;
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** Runs a child to its end and returns its `result <json>` line, parsed; rejects unless it exits 0. */
export async function runChild<T = unknown>(
  script: ChildScript,
  args: readonly string[],
  options: SpawnChildOptions = {},
): Promise<T> {
  const child = spawnChild(script, args, options);
  const { code, signal } = await child.exited;
  const line = child.lines.find((l) => l.startsWith('result '));
  if (code !== 0 || line === undefined) {
    throw new TestkitError(
      'TESTKIT_CHILD_FAILED',
      `child ${script} failed (code ${code}, signal ${signal}):\n${child.stderr()}`,
    );
  }
  return JSON.parse(line.slice('result '.length)) as T;
}

/** SIGKILLs every child the testkit started that is still alive (fixtures call it after each test). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill()));
}
