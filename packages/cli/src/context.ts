import { createPool, type Pool } from '@hivedb/pool';
import { SharedMemoryStore, type StoreOptions } from '@hivedb/store';
import { stdoutClosed, writeStdout } from './io/stdout.js';
import { type HiveRoot, requireDatabase, requireRoot, resolveRoot } from './root.js';

/** The global options every command accepts. */
export interface GlobalOptions {
  readonly root?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/** Where a command writes. Tests and embedders may pass their own. */
export interface Output {
  write(text: string): void;
  error(text: string): void;
  /** Whether stderr is a terminal (progress bars and live lines only there). */
  readonly isTTY: boolean;
  /**
   * Whether the reader of `write`'s stream went away (a closed pipe: `hivedb list | head -1`).
   * `run()` then ends the command quietly with exit status 0. Absent: never.
   */
  readonly closed?: boolean;
}

/** The process's stdout and stderr. A stdout closed by its reader (EPIPE) is `closed`, never a crash. */
export const processOutput: Output = {
  write: (text) => {
    writeStdout(text);
  },
  error: (text) => {
    process.stderr.write(text);
  },
  get isTTY() {
    return process.stderr.isTTY === true;
  },
  get closed() {
    return stdoutClosed();
  },
};

/** What a command runs with: the resolved root, the output mode and the streams. */
export class CommandContext {
  readonly root: HiveRoot;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly out: Output;

  constructor(options: GlobalOptions, out: Output = processOutput) {
    this.root = resolveRoot(options.root);
    this.json = options.json === true;
    this.verbose = options.verbose === true;
    this.out = out;
  }

  /** Prints `data` as one JSON document with `--json`, otherwise the `text` lines. */
  result(data: unknown, text: () => string): void {
    if (this.json) this.out.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const t = text();
      if (t.length > 0) this.out.write(t.endsWith('\n') ? t : `${t}\n`);
    }
  }

  /** A note for a human on stderr (also with `--json`: stdout alone carries the document). */
  note(text: string): void {
    this.out.error(`${text}\n`);
  }

  /** A pool on an existing database of the root (`CLI_NO_ROOT` when it is missing). */
  openPool(which: 'memory' | 'hive'): Pool {
    requireDatabase(this.root, which);
    return createPool({
      filename: `${which}.db`,
      root: this.root.dir,
      minConnections: 1,
      maxConnections: 2,
      healthCheckInterval: 0,
    });
  }

  /** Opens the store on an existing root (`CLI_NO_ROOT` when it is missing). */
  async openStore(options: Omit<StoreOptions, 'projectRoot'> = {}): Promise<SharedMemoryStore> {
    requireRoot(this.root);
    return SharedMemoryStore.open({
      projectRoot: this.root.projectRoot,
      gcInterval: 0,
      ...options,
    });
  }
}

/** Runs `fn` with a pool and closes it afterwards, whatever happens. */
export async function withPool<T>(
  ctx: CommandContext,
  which: 'memory' | 'hive',
  fn: (pool: Pool) => Promise<T>,
): Promise<T> {
  const pool = ctx.openPool(which);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

/** Runs `fn` with the store and shuts it down afterwards, whatever happens. */
export async function withStore<T>(
  ctx: CommandContext,
  fn: (store: SharedMemoryStore) => Promise<T>,
): Promise<T> {
  const store = await ctx.openStore();
  try {
    return await fn(store);
  } finally {
    await store.shutdown();
  }
}
