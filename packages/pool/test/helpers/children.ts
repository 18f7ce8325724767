import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const childrenDir = join(here, 'children');

/**
 * The built package's ESM entry. Child scripts import `@hivedb/pool` by name (the package's
 * self-reference resolves to it), as a consumer would.
 */
export const BUILT_ENTRY = join(here, '..', '..', 'dist', 'index.js');

/** Throws a clear message when the package has not been built (the test task depends on build). */
export function requireBuiltEntry(): string {
  if (!existsSync(BUILT_ENTRY)) {
    throw new Error(`${BUILT_ENTRY} is missing: run \`pnpm --filter @hivedb/pool build\` first`);
  }
  return BUILT_ENTRY;
}

/** A child process started by these helpers, with its stdout split into lines. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line (past or future) that `match` accepts. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves once `check()` is true; it is called now and after each new stdout line. */
  waitUntil(check: () => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited (with its code or the signal that ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<Child>();

/** Starts `node <script> ...args`; the child is SIGKILLed after the test if still alive. */
export function spawnNode(script: string, args: readonly string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let done = false;
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
    pid: proc.pid!,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(match, timeoutMs = 10_000) {
      let scanned = 0;
      let found: string | undefined;
      return child
        .waitUntil(() => {
          for (; scanned < lines.length && found === undefined; scanned++) {
            if (match(lines[scanned]!)) found = lines[scanned];
          }
          return found !== undefined;
        }, timeoutMs)
        .then(() => found!);
    },
    waitUntil(check, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const run = (): void => {
          if (check()) {
            finish();
            resolve();
          } else if (done) {
            finish();
            reject(
              new Error(`child ${script} exited before the awaited output; stderr:\n${stderr}`),
            );
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(
              `child ${script}: awaited output missing after ${timeoutMs} ms; stderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(run);
        };
        waiters.add(run);
        run();
      });
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** Sends SIGKILL and waits until the process is gone. */
export async function sigkill(child: Child): Promise<void> {
  child.process.kill('SIGKILL');
  await child.exited;
}

/** SIGKILLs every child still alive (the sandbox calls this after each test). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((c) => sigkill(c)));
}

/** A child process holding SQLite's write lock on a database. */
export interface LockHolder extends Child {
  /** Resolves with `Date.now()` in the child just after its COMMIT. */
  readonly committed: Promise<number>;
}

/**
 * Starts a child that opens `file` with better-sqlite3, runs `BEGIN IMMEDIATE`, and holds the
 * write lock for `holdMs` (then commits and exits) or until it is killed (`'forever'`).
 * Resolves once the lock is held.
 */
export async function holdWriteLock(file: string, holdMs: number | 'forever'): Promise<LockHolder> {
  const child = spawnNode(join(childrenDir, 'lock-holder.mjs'), [file, String(holdMs)]);
  await child.waitForLine((l) => l === 'ready');
  const committed =
    holdMs === 'forever'
      ? new Promise<number>(() => {})
      : child
          .waitForLine((l) => l.startsWith('committed '), holdMs + 10_000)
          .then((l) => Number(l.split(' ')[1]));
  return Object.assign(child, { committed });
}

/**
 * Starts a child that opens `file` and runs `BEGIN EXCLUSIVE`, held until it is killed. On a
 * database in rollback-journal mode (not WAL) no other connection can then even read: a read
 * waits in SQLite's busy handler for `busy_timeout`, then fails with SQLITE_BUSY.
 */
export async function holdExclusiveLock(file: string): Promise<Child> {
  const child = spawnNode(join(childrenDir, 'lock-holder.mjs'), [file, 'forever', 'exclusive']);
  await child.waitForLine((l) => l === 'ready');
  return child;
}

/**
 * Runs one statement in a child process with its own connection, and resolves once the child
 * has exited, with `Date.now()` in the child just after the statement committed.
 */
export async function writeInChild(
  file: string,
  sql: string,
  params: readonly unknown[] = [],
): Promise<number> {
  const child = spawnNode(join(childrenDir, 'writer.mjs'), [file, sql, JSON.stringify(params)]);
  const { code, signal } = await child.exited;
  const line = child.lines.find((l) => l.startsWith('committed '));
  if (code !== 0 || !line) {
    throw new Error(`writer child failed (code ${code}, signal ${signal}):\n${child.stderr()}`);
  }
  return Number(line.split(' ')[1]);
}

/**
 * Like `writeInChild`, but blocks this process until the child has exited: no macrotask of
 * this process ends meanwhile, so a read snapshot opened just before stays "current".
 */
export function writeInChildSync(file: string, sql: string, params: readonly unknown[] = []): void {
  const res = spawnSync(
    process.execPath,
    [join(childrenDir, 'writer.mjs'), file, sql, JSON.stringify(params)],
    {
      encoding: 'utf8',
      timeout: 20_000,
    },
  );
  if (res.status !== 0)
    throw new Error(`writer child failed (status ${res.status}):\n${res.stderr}`);
}

/** Starts a child running the built pool that inserts rows forever, printing each committed id. */
export function startPoolWriter(root: string, filename: string, firstId = 1): Child {
  requireBuiltEntry();
  return spawnNode(join(childrenDir, 'pool-writer.mjs'), [root, filename, String(firstId)]);
}

/** Starts a child that uses the built pool, closes it (or not), and should then exit on its own. */
export function startPoolLifecycle(
  root: string,
  filename: string,
  mode: 'close' | 'leave-open' = 'close',
): Child {
  requireBuiltEntry();
  return spawnNode(join(childrenDir, 'pool-lifecycle.mjs'), [root, filename, mode]);
}

/** Starts a child that closes a pool with a lease never released and a caller waiting; it prints one JSON line. */
export function startPoolCloseBound(root: string, filename: string): Child {
  requireBuiltEntry();
  return spawnNode(join(childrenDir, 'pool-close-bound.mjs'), [root, filename]);
}

/** Runs a consumer script (`consumer.mjs` or `consumer.cjs`) that loads the built package by name. */
export function startConsumer(kind: 'mjs' | 'cjs', args: readonly string[] = []): Child {
  requireBuiltEntry();
  return spawnNode(join(childrenDir, `consumer.${kind}`), args);
}

/** What a WAL agent does (see children/wal-agent.mjs). */
export type WalAgentMode = 'idle' | 'write' | 'read' | 'exit';

/**
 * Starts a child process that opens the built pool on `<root>/<filename>` with `options` and
 * works in `mode` until it is killed, printing its `wal`, `checkpoint` and `error` events as JSON
 * lines. Resolves once its pool is open.
 */
export async function startWalAgent(
  root: string,
  filename: string,
  mode: WalAgentMode,
  options: Record<string, unknown> = {},
): Promise<Child> {
  requireBuiltEntry();
  const child = spawnNode(join(childrenDir, 'wal-agent.mjs'), [
    root,
    filename,
    mode,
    JSON.stringify(options),
  ]);
  await child.waitForLine((l) => l === 'ready');
  return child;
}

/** What `openRootInChild` saw: the pool opened, or the error it threw; and how long it took. */
export interface OpenRootOutcome {
  readonly opened?: string;
  readonly code?: string;
  readonly message?: string;
  readonly causeCode?: string | null;
  /** The child was killed at the deadline (it hung). */
  readonly timedOut: boolean;
  readonly ms: number;
}

/**
 * Opens a pool of the built package on `root`/`filename` in a child process killed after
 * `timeoutMs`, so that a pool that hangs fails the test instead of hanging the suite. With
 * `readOnlyMount`, the child runs in a mount namespace of its own (`unshare -m`) where that folder
 * is an empty read-only tmpfs.
 */
export function openRootInChild(
  root: string,
  filename: string,
  opts: {
    readonly timeoutMs?: number;
    readonly readOnlyMount?: string;
    readonly readonly?: boolean;
  } = {},
): OpenRootOutcome {
  requireBuiltEntry();
  const script = join(childrenDir, 'open-root.mjs');
  const args = [script, root, filename, opts.readonly === true ? 'readonly' : ''];
  const started = Date.now();
  const res = spawnSync(...inReadOnlyMount(opts.readOnlyMount, [process.execPath, ...args]), {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 5000,
  });
  const ms = Date.now() - started;
  if (res.error !== undefined && (res.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    return { timedOut: true, ms };
  const line = res.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{'))
    throw new Error(`open-root child printed no result (status ${res.status}):\n${res.stderr}`);
  return { ...(JSON.parse(line) as Omit<OpenRootOutcome, 'timedOut' | 'ms'>), timedOut: false, ms };
}

/** The repository's script that runs a command with a folder as a read-only mount. */
const READONLY_MOUNT = join(here, '..', '..', '..', '..', 'scripts', 'in-readonly-mount.sh');

/** `command` as it runs with `dir` a read-only mount (`scripts/in-readonly-mount.sh`), or as is without `dir`. */
function inReadOnlyMount(dir: string | undefined, command: readonly string[]): [string, string[]] {
  return dir === undefined
    ? [command[0]!, command.slice(1)]
    : ['sh', [READONLY_MOUNT, dir, ...command]];
}

/** Whether this machine lets a child mount a read-only tmpfs in a namespace of its own. */
export function canMountReadOnly(): boolean {
  return spawnSync('sh', [READONLY_MOUNT, '--check'], { timeout: 5000 }).status === 0;
}
