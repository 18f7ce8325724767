import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from './errors.js';

/** Where Debian's `postgresql-15` puts its binaries (`initdb`, `pg_ctl`, `postgres`). */
export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** The folder holding `initdb` and `pg_ctl`. Default {@link POSTGRES_BIN_DIR} (or `$HIVEDB_PG_BIN`). */
  readonly binDir?: string;
  /** The TCP port on 127.0.0.1. Default: a free one. */
  readonly port?: number;
  /** Extra `-c name=value` settings for the server. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

/** A throwaway PostgreSQL server of a test run, on 127.0.0.1. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  /** The server's data folder (removed by `close()`). */
  readonly dataDir: string;
  /** Stops the server: `fast` (a clean shutdown) or `immediate` (like a crash: no checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data (after `stop`). */
  start(): Promise<void>;
  /** A new empty database on the server; resolves to its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast) if it runs and removes its folder. Idempotent. */
  close(): Promise<void>;
}

const live = new Set<PostgresServer>();
let exitHook = false;

/**
 * Starts a throwaway PostgreSQL server for a test run (about a second): `initdb` into a new
 * temporary folder (trust authentication, UTF8, `C.UTF-8`), then `pg_ctl start` listening on
 * 127.0.0.1 only. PostgreSQL refuses to run as root, so as root both run as the `postgres` user
 * (`runuser`), which must own the folder. `close()` stops and removes it; servers still running
 * when the process exits are stopped too (best effort, `immediate`).
 *
 * There is no silent skip: without the binaries it throws `TESTKIT_FAULT_FAILED` saying how to
 * install them (`apt-get install -y postgresql-15` on Debian).
 *
 * @example
 * const pg = await startPostgres();
 * try { … connect to pg.url … } finally { await pg.close(); }
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = options.binDir ?? process.env.HIVEDB_PG_BIN ?? POSTGRES_BIN_DIR;
  for (const tool of ['initdb', 'pg_ctl'])
    if (!existsSync(join(bin, tool)))
      throw new TestkitError(
        'TESTKIT_FAULT_FAILED',
        `PostgreSQL is not installed: ${join(bin, tool)} is missing (on Debian: apt-get install -y postgresql-15; or set HIVEDB_PG_BIN)`,
      );
  const root = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'hivedb-pg-'));
  if (root) chownSync(dir, postgresUid(), postgresGid());
  const dataDir = join(dir, 'data');
  const port = options.port ?? (await freePort());
  const settings = Object.entries(options.settings ?? {})
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('');
  const as = (tool: string, args: string[]) =>
    run(
      root ? 'runuser' : join(bin, tool),
      root ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args,
    );
  let running = false;
  const server: PostgresServer = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async stop(mode = 'fast') {
      if (!running) return;
      await as('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
      running = false;
    },
    async start() {
      if (running) return;
      await as('pg_ctl', [
        '-D',
        dataDir,
        '-l',
        join(dir, 'log'),
        '-w',
        '-o',
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}${settings}`,
        'start',
      ]).catch((err: unknown) => {
        const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
        throw new TestkitError(
          'TESTKIT_FAULT_FAILED',
          `pg_ctl start failed on port ${port}: ${(err as Error).message}\n${log.slice(-2000)}`,
          { cause: err },
        );
      });
      running = true;
    },
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name))
        throw new TestkitError('TESTKIT_INVALID_ARGUMENT', `not a plain database name: ${name}`);
      await as('psql', [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-c',
        `CREATE DATABASE ${name}`,
      ]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async close() {
      if (!live.delete(server)) return;
      try {
        await server.stop('fast');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await as('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    await server.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err instanceof TestkitError
      ? err
      : new TestkitError(
          'TESTKIT_FAULT_FAILED',
          `could not start PostgreSQL: ${(err as Error).message}`,
          { cause: err },
        );
  }
  live.add(server);
  if (!exitHook) {
    exitHook = true;
    // A test process that ends without close(): stop what is left, like a crash, and clean up.
    process.on('exit', () => {
      for (const s of live) {
        try {
          execFileSync(
            root ? 'runuser' : join(bin, 'pg_ctl'),
            root
              ? [
                  '-u',
                  'postgres',
                  '--',
                  join(bin, 'pg_ctl'),
                  '-D',
                  s.dataDir,
                  '-m',
                  'immediate',
                  'stop',
                ]
              : ['-D', s.dataDir, '-m', 'immediate', 'stop'],
            { stdio: 'ignore' },
          );
        } catch {
          // Already stopped.
        }
      }
    });
  }
  return server;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null)
        reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

function postgresUid(): number {
  return idOf('-u');
}
function postgresGid(): number {
  return idOf('-g');
}
function idOf(flag: '-u' | '-g'): number {
  const out = execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return Number(String(out).trim());
}
