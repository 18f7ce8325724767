import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The folder of the child scripts; they import `@hivedb/store` by name (the built package). */
export const CHILDREN = join(here, '..', 'children');

/** The built package's ESM entry (the test task depends on the build). */
export const BUILT_ENTRY = join(here, '..', '..', 'dist', 'index.js');

/** Throws a clear message when the package has not been built. */
export function requireBuilt(): void {
  if (!existsSync(BUILT_ENTRY))
    throw new Error(`${BUILT_ENTRY} is missing: run \`pnpm --filter @hivedb/store build\` first`);
}

/** A child process with its stdout split into lines. */
export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  stderr(): string;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** Resolves with the first stdout line at or after index `from` that `match` accepts. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number, from?: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<Child>();

/** Starts `node children/<script> ...args`; killed after the test if still alive. */
export function spawnChild(script: string, args: readonly string[]): Child {
  requireBuilt();
  const proc = spawn(process.execPath, [join(CHILDREN, script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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
    lines,
    stderr: () => stderr,
    exited,
    send(line) {
      proc.stdin!.write(`${line}\n`);
    },
    waitForLine(match, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        let scanned = from;
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
            reject(new Error(`child ${script} exited before the awaited line; stderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`child ${script}: no awaited line after ${timeoutMs} ms; stderr:\n${stderr}`),
          );
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** Runs a child to its end; rejects with its stderr unless it exits with code 0. */
export async function runChild(script: string, args: readonly string[]): Promise<string[]> {
  const child = spawnChild(script, args);
  const { code, signal } = await child.exited;
  if (code !== 0)
    throw new Error(`child ${script} failed (code ${code}, signal ${signal}):\n${child.stderr()}`);
  return child.lines;
}

/** SIGKILLs every child still alive. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...live].map(async (c) => {
      c.process.kill('SIGKILL');
      await c.exited;
    }),
  );
}
