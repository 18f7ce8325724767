import { Readable } from 'node:stream';
import type { Pool } from '@hivedb/pool';
import type {
  CountOptions,
  DataType,
  EntryMetadata,
  ExportOptions,
  GetResult,
  ListEntry,
  ListOptions,
  ListResult,
  StoreStats,
} from '@hivedb/store';
import { CliError } from '../errors.js';
import type { HiveRoot } from '../root.js';
import { openDatabaseForReading } from './inspect.js';

/**
 * The part of `SharedMemoryStore`'s read API that the read-only commands (`get`, `list`,
 * `stats`, `export`) use, with the store's own types. Opening a store migrates both databases,
 * creates a missing `hive.db` and records every `get` in the access counts: none of which a
 * read-only command may do. Until `@hivedb/store` opens read-only
 * (`SharedMemoryStore.open({ readonly: true })`), {@link openMemoryReader} serves these calls
 * from a read-only pool; switching is replacing its body by that call (and this file's SQL goes).
 */
export interface MemoryReader {
  get(key: string, options: { namespace: string; includeMetadata: true }): Promise<GetResult>;
  list(options: ListOptions & { namespace: string }): Promise<ListResult>;
  count(options: CountOptions & { namespace: string }): Promise<number>;
  getStats(): Promise<
    Pick<StoreStats, 'entryCount' | 'totalEntries' | 'memoryUsage' | 'namespaces'>
  >;
  export(options?: ExportOptions): Readable;
  shutdown(): Promise<void>;
}

const LIVE = '(expires_at IS NULL OR expires_at > ?)';
const GET = `SELECT value, data_type AS dataType, coalesce(version, 1) AS version,
  created_at AS createdAt, updated_at AS updatedAt, expires_at AS expiresAt, metadata,
  coalesce(size_bytes, 0) AS size, coalesce(access_count, 0) AS accessCount,
  last_accessed AS lastAccessed FROM shared_memory WHERE namespace = ? AND key = ? AND ${LIVE}`;
// Params: namespace, prefix ×3, after, now, limit. Keys compare by code point (BINARY on UTF-8).
const RANGE = 'namespace = ? AND key >= ? AND substr(key, 1, length(?)) = ?';
const LIST = `SELECT key, value, data_type AS dataType, coalesce(version, 1) AS version,
  created_at AS createdAt, updated_at AS updatedAt, expires_at AS expiresAt
  FROM shared_memory WHERE ${RANGE} AND key > ? AND ${LIVE} ORDER BY key LIMIT ?`;
const COUNT = `SELECT count(*) AS n FROM shared_memory WHERE ${RANGE} AND ${LIVE}`;
const USAGE = `SELECT namespace, count(*) AS entries, coalesce(sum(size_bytes), 0) AS bytes
  FROM shared_memory WHERE ${LIVE} GROUP BY namespace ORDER BY namespace`;
const EXPORT_COLUMNS = `namespace, key, value, data_type AS dataType, metadata,
  coalesce(version, 1) AS version, created_at AS createdAt, updated_at AS updatedAt,
  expires_at AS expiresAt`;
const EXPORT_NS = `SELECT ${EXPORT_COLUMNS} FROM shared_memory
  WHERE namespace = ? AND key > ? AND ${LIVE} ORDER BY key LIMIT ?`;
const EXPORT_ALL = `SELECT ${EXPORT_COLUMNS} FROM shared_memory
  WHERE (namespace, key) > (?, ?) AND ${LIVE} ORDER BY namespace, key LIMIT ?`;
const EXPORT_PAGE = 256;

type Row = Omit<ListEntry, 'namespace' | 'value'> & { value: string; dataType: DataType };
type ExportRow = Row & { namespace: string; metadata: string | null };

function parsed(text: string, namespace: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CliError(
      'CLI_BAD_DATABASE',
      `the stored value of ${JSON.stringify(key)} in namespace ${JSON.stringify(namespace)} is not valid JSON`,
      { cause },
    );
  }
}

// As the store's export writes a line: stored JSON text embedded as it is, re-serialized only
// when it holds a line break (which would split the line).
function jsonText(text: string, r: ExportRow): string {
  return /[\n\r]/.test(text) ? JSON.stringify(parsed(text, r.namespace, r.key)) : text;
}

function exportLine(r: ExportRow): string {
  return `{"namespace":${JSON.stringify(r.namespace)},"key":${JSON.stringify(r.key)},"value":${jsonText(r.value, r)},"dataType":${JSON.stringify(r.dataType)},"metadata":${r.metadata === null ? 'null' : jsonText(r.metadata, r)},"version":${r.version},"createdAt":${r.createdAt},"updatedAt":${r.updatedAt},"expiresAt":${r.expiresAt === null ? 'null' : r.expiresAt}}\n`;
}

class PoolMemoryReader implements MemoryReader {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async get(key: string, o: { namespace: string }): Promise<GetResult> {
    const r = await this.#pool.get<
      Row & {
        metadata: string | null;
        size: number;
        accessCount: number;
        lastAccessed: number | null;
      }
    >(GET, [o.namespace, key, Date.now()]);
    if (r === undefined) return { value: null, metadata: null, found: false };
    const metadata: EntryMetadata = {
      namespace: o.namespace,
      key,
      dataType: r.dataType,
      version: r.version,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      expiresAt: r.expiresAt,
      size: r.size,
      accessCount: r.accessCount,
      lastAccessed: r.lastAccessed,
      custom:
        r.metadata === null
          ? null
          : (parsed(r.metadata, o.namespace, key) as EntryMetadata['custom']),
    };
    return { value: parsed(r.value, o.namespace, key), metadata, found: true };
  }

  async list(o: ListOptions & { namespace: string }): Promise<ListResult> {
    const prefix = o.prefix ?? '';
    const limit = o.limit ?? 100;
    const rows = await this.#pool.all<Row>(LIST, [
      o.namespace,
      prefix,
      prefix,
      prefix,
      o.cursor ?? '',
      Date.now(),
      limit + 1,
    ]);
    const page = rows.slice(0, limit);
    return {
      entries: page.map((r) => ({
        ...r,
        namespace: o.namespace,
        value: parsed(r.value, o.namespace, r.key),
      })),
      cursor: rows.length > limit ? (page[page.length - 1]?.key ?? null) : null,
    };
  }

  async count(o: CountOptions & { namespace: string }): Promise<number> {
    const prefix = o.prefix ?? '';
    const r = await this.#pool.get<{ n: number }>(COUNT, [
      o.namespace,
      prefix,
      prefix,
      prefix,
      Date.now(),
    ]);
    return r?.n ?? 0;
  }

  async getStats(): Promise<
    Pick<StoreStats, 'entryCount' | 'totalEntries' | 'memoryUsage' | 'namespaces'>
  > {
    const rows = await this.#pool.all<{ namespace: string; entries: number; bytes: number }>(
      USAGE,
      [Date.now()],
    );
    const namespaces = Object.fromEntries(rows.map((r) => [r.namespace, r.entries]));
    const entryCount = rows.reduce((a, r) => a + r.entries, 0);
    return {
      entryCount,
      totalEntries: entryCount,
      memoryUsage: rows.reduce((a, r) => a + r.bytes, 0),
      namespaces,
    };
  }

  export(options: ExportOptions = {}): Readable {
    const pool = this.#pool;
    const ns = options.namespace;
    let after = { namespace: '', key: '' };
    let finished = false;
    return new Readable({
      read() {
        if (finished) return;
        const page =
          ns === undefined
            ? pool.all<ExportRow>(EXPORT_ALL, [after.namespace, after.key, Date.now(), EXPORT_PAGE])
            : pool.all<ExportRow>(EXPORT_NS, [ns, after.key, Date.now(), EXPORT_PAGE]);
        page.then(
          (rows) => {
            try {
              const text = rows.map(exportLine).join('');
              const last = rows[rows.length - 1];
              if (last !== undefined) after = { namespace: last.namespace, key: last.key };
              // set before pushing: a push may call read() again at once
              finished = rows.length < EXPORT_PAGE;
              if (text.length > 0) this.push(text, 'utf8');
              if (finished) this.push(null);
            } catch (err) {
              this.destroy(err as Error);
            }
          },
          (err: unknown) => this.destroy(err as Error),
        );
      },
    });
  }

  shutdown(): Promise<void> {
    return this.#pool.close();
  }
}

/**
 * A {@link MemoryReader} on the root's `memory.db`, opened read-only after a check that it is a
 * sound hivedb database (`CLI_NO_DATABASE`, `CLI_BAD_DATABASE` otherwise).
 */
export async function openMemoryReader(root: HiveRoot): Promise<MemoryReader> {
  return new PoolMemoryReader(await openDatabaseForReading(root, 'memory'));
}

/** Runs `fn` with a {@link MemoryReader} and closes it afterwards, whatever happens. */
export async function withMemoryReader<T>(
  root: HiveRoot,
  fn: (reader: MemoryReader) => Promise<T>,
): Promise<T> {
  const reader = await openMemoryReader(root);
  try {
    return await fn(reader);
  } finally {
    await reader.shutdown();
  }
}
