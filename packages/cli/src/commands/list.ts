import type { ListEntry, SharedMemoryStore } from '@hivedb/store';
import type { CommandContext } from '../context.js';
import { withReadOnlyStore } from '../database/read-only-store.js';
import { CliError } from '../errors.js';
import { formatCount, table } from '../format.js';
import { parseInteger } from '../parse.js';
import { printable } from '../terminal-text.js';
import type { KvOptions } from './kv.js';

/** Options of `list`. */
export interface ListCommandOptions extends KvOptions {
  readonly prefix?: string;
  readonly limit?: string;
  readonly cursor?: string;
}

/** The most entries one `list` prints (the store's largest page). */
export const MAX_LIST_LIMIT = 10_000;

/**
 * Where a listing stopped: the namespace, the store's cursor in it (`null`: its start), how many
 * entries the listing has shown so far, and what it lists (one namespace or all, the prefix), so
 * a cursor is never applied to another listing. Opaque to users (base64url JSON).
 */
interface ListCursor {
  readonly v: 1;
  readonly n: string;
  readonly c: string | null;
  readonly seen: number;
  readonly all: boolean;
  readonly p: string;
}

function encodeCursor(c: Omit<ListCursor, 'v'>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...c }), 'utf8').toString('base64url');
}

function decodeCursor(text: string, all: boolean, prefix: string): ListCursor {
  let c: Partial<ListCursor> | null = null;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ListCursor>;
  } catch {
    c = null;
  }
  if (
    c === null ||
    typeof c !== 'object' ||
    c.v !== 1 ||
    typeof c.n !== 'string' ||
    !(c.c === null || typeof c.c === 'string') ||
    typeof c.seen !== 'number'
  )
    throw new CliError('CLI_USAGE', '--cursor: not a cursor printed by `hivedb list`');
  if (c.all !== all || c.p !== prefix)
    throw new CliError(
      'CLI_USAGE',
      '--cursor: it belongs to another listing (give the same -n and --prefix as the listing that printed it)',
    );
  return c as ListCursor;
}

/** The namespaces a listing covers, in the order it walks them. */
async function namespacesOf(store: SharedMemoryStore, opts: ListCommandOptions): Promise<string[]> {
  if (opts.namespace !== undefined) return [opts.namespace];
  return Object.keys((await store.getStats()).namespaces).sort();
}

function shellWord(s: string): string {
  return /^[\w:./@%+=,-]+$/.test(s) ? s : `'${printable(s).replaceAll("'", "'\\''")}'`;
}

/**
 * `list [-n NS] [--prefix P] [--limit N] [--cursor C]`: live entries in (namespace, key) order,
 * every namespace when `-n` is not given; says how many more there are and the cursor of the
 * next page. Read-only.
 */
export async function listCommand(ctx: CommandContext, opts: ListCommandOptions): Promise<void> {
  const limit = parseInteger(opts.limit, '--limit', 1, MAX_LIST_LIMIT) ?? 100;
  const prefix = opts.prefix ?? '';
  const all = opts.namespace === undefined;
  const start = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, all, prefix);
  if (start !== undefined && !all && start.n !== opts.namespace)
    throw new CliError('CLI_USAGE', '--cursor: it belongs to a listing of another namespace');
  const { entries, cursor, more } = await withReadOnlyStore(ctx.root, async (store) => {
    const namespaces = await namespacesOf(store, opts);
    const out: ListEntry[] = [];
    let next: Omit<ListCursor, 'v' | 'seen'> | null = null;
    let total = 0;
    for (const [i, ns] of namespaces.entries()) {
      total += await store.count({ namespace: ns, prefix });
      if (start !== undefined && ns < start.n) continue;
      if (next !== null || out.length >= limit) {
        next ??= { n: ns, c: null, all, p: prefix };
        continue;
      }
      const page = await store.list({
        namespace: ns,
        prefix,
        limit: limit - out.length,
        cursor: ns === start?.n ? start.c : null,
      });
      out.push(...page.entries);
      if (page.cursor !== null) next = { n: ns, c: page.cursor, all, p: prefix };
      else if (out.length >= limit && i + 1 < namespaces.length)
        next = { n: namespaces[i + 1] as string, c: null, all, p: prefix };
    }
    // What is left: every matching entry of the listing, less those its pages showed (about
    // that many when entries come and go between pages).
    const seen = (start?.seen ?? 0) + out.length;
    const more = Math.max(0, total - seen);
    return {
      entries: out,
      cursor: next === null || more === 0 ? null : encodeCursor({ ...next, seen }),
      more,
    };
  });
  ctx.result({ entries, cursor, more }, () => {
    const lines = [
      entries.length === 0
        ? 'no entries'
        : table(
            ['namespace', 'key', 'type', 'version', 'value'],
            entries.map((e) => {
              const v = JSON.stringify(e.value);
              return [
                e.namespace,
                e.key,
                e.dataType,
                e.version,
                v.length > 60 ? `${v.slice(0, 59)}…` : v,
              ];
            }),
          ),
    ];
    if (cursor !== null)
      lines.push(
        `${formatCount(more)} more entr${more === 1 ? 'y' : 'ies'}: hivedb list${all ? '' : ` -n ${shellWord(opts.namespace ?? '')}`}${prefix === '' ? '' : ` --prefix ${shellWord(prefix)}`} --limit ${limit} --cursor ${cursor}`,
      );
    return lines.join('\n');
  });
}
