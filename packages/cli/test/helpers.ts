import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool } from '@hivedb/pool';
import type { Output } from '@hivedb/cli';
import { SharedMemoryStore } from '@hivedb/store';

/** The built CLI, run as a user runs it. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** What one CLI run printed and how it ended. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/bin.js ...args` in `cwd`; resolves with the exit status and both streams. */
export function hivedb(cwd: string, args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, FORCE_COLOR: '0' },
      },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') return reject(err);
        resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
      },
    );
  });
}

/** Parses a run's stdout as the one JSON document `--json` prints. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(
      `stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
}

/** A fresh temp folder, and its removal. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hivedb-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a test compares to prove that a command changed no data. */
export interface RootDigest {
  /** sha256 of each `shared_memory` row (every column), in (namespace, key) order. */
  readonly rows: readonly string[];
  /** Rows of the change log (`memory_changes`). */
  readonly changes: number;
}

/** Reads `<root>/memory.db` read-only and digests its rows and change log. */
export async function digestRoot(root: string): Promise<RootDigest> {
  const pool = createPool({
    filename: 'memory.db',
    root,
    readonly: true,
    minConnections: 1,
    maxConnections: 1,
    healthCheckInterval: 0,
  });
  try {
    const rows = await pool.all<Record<string, unknown>>(
      'SELECT * FROM shared_memory ORDER BY namespace, key',
    );
    const changes = await pool.get<{ n: number }>('SELECT COUNT(*) AS n FROM memory_changes');
    return {
      rows: rows.map((r) => createHash('sha256').update(JSON.stringify(r)).digest('hex')),
      changes: changes?.n ?? 0,
    };
  } finally {
    await pool.close();
  }
}

/** sha256 of a file's bytes (`null` when it does not exist). */
export function fileDigest(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/** Writes `n` entries into the root through the store (namespaces `alpha` and `beta`). */
export async function seedRoot(projectRoot: string, n = 20): Promise<void> {
  const store = await SharedMemoryStore.open({ projectRoot, gcInterval: 0 });
  try {
    for (let i = 0; i < n; i++)
      await store.set(
        `key-${i}`,
        { i, text: `value ${i}` },
        { namespace: i % 2 ? 'alpha' : 'beta' },
      );
  } finally {
    await store.shutdown();
  }
}

/** Pids of the live children of `ppid`, from /proc. */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === ppid) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whether a process is alive (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An `Output` for `run()` that keeps what was printed. */
export function capture(): Output & { out: string; err: string } {
  const o = {
    out: '',
    err: '',
    isTTY: false,
    write(t: string) {
      o.out += t;
    },
    error(t: string) {
      o.err += t;
    },
  };
  return o;
}

/** A demo run in a child process, watched while it runs. */
export interface RunningDemo {
  readonly child: ChildProcessWithoutNullStreams;
  /** What it printed so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Its exit status (`null` when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** The agents' pids, once every one runs (after the parent said "running for", plus a second). */
  readonly agentsRunning: () => Promise<number[]>;
}

/** Starts `hivedb demo ...args` in `cwd`, with stdout and stderr collected. */
export function startDemo(cwd: string, args: readonly string[]): RunningDemo {
  const child = spawn(process.execPath, [BIN, 'demo', ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    agentsRunning: async () => {
      const started = Date.now();
      while (!stderr.includes('running for') && Date.now() - started < 60_000)
        await new Promise((r) => setTimeout(r, 50));
      if (!stderr.includes('running for')) throw new Error(`the demo did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 1000));
      return childrenOf(child.pid as number);
    },
  };
}
