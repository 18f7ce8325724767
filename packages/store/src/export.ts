import { Readable } from 'node:stream';
import type { StoreContext } from './context.js';
import { invalidArgument, StoreError } from './errors.js';
import { formatLine } from './jsonl.js';
import type { ExportCursor, ExportRow } from './transfer-backend.js';

/** Options of `export()`. */
export interface ExportOptions {
  /** Only this namespace (default: every namespace). */
  readonly namespace?: string;
}

/** Reads one page through the store (so that `shutdown()` waits for it and fails later ones). */
export type PageReader = (
  read: (ctx: StoreContext) => Promise<ExportRow[]>,
) => Promise<ExportRow[]>;

// A page aims at about this many bytes of JSON; its row count adapts to the largest row of the
// previous page, within these bounds. Memory is a page or two, whatever the store holds.
const PAGE_BYTES = 4 * 1024 * 1024;
const MIN_PAGE = 16;
const MAX_PAGE = 1024;
const FIRST_PAGE = 64;

/** Validates `export()`'s options; returns the namespace to export, `undefined` for all. */
export function exportNamespace(ctx: StoreContext, options: unknown): string | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object')
    throw invalidArgument('options', options, 'an object');
  for (const k of Object.keys(options))
    if (k !== 'namespace') throw invalidArgument('options', options, 'only namespace');
  const ns = (options as ExportOptions).namespace;
  return ns === undefined ? undefined : ctx.namespace(ns);
}

/**
 * The live entries as UTF-8 JSON Lines text, one entry per line in (namespace, key) order:
 * `{"namespace","key","value","dataType","metadata","version","createdAt","updatedAt","expiresAt"}`.
 * Read in keyset pages, one page per `read()` of the stream, so memory stays flat and a slow
 * consumer holds no database lock. Expired entries are left out; transient entries (memory
 * only, never on disk) are not exported. Each page is its own snapshot: an entry written during
 * the export appears if its key is still ahead of the cursor.
 */
export function exportEntries(namespace: string | undefined, page: PageReader): Readable {
  let after: ExportCursor | null = null;
  let limit = FIRST_PAGE;
  let done = false;
  const stream = new Readable({
    read() {
      if (done) return;
      page((c) => c.backend.transfer.exportPage(namespace, after, limit, c.now())).then(
        (rows) => {
          if (rows.length < limit) done = true;
          let text = '';
          let largest = 1;
          try {
            for (const r of rows) {
              const line = formatLine(r);
              if (line.length > largest) largest = line.length;
              text += line;
            }
          } catch (err) {
            // Stored text that is not JSON (a damaged row): the export fails, naming it.
            const r = rows[text.split('\n').length - 1];
            stream.destroy(
              new StoreError(
                'STORE_INVALID_VALUE',
                `export: the stored entry ${JSON.stringify(r?.key)} in namespace ${JSON.stringify(r?.namespace)} is not valid JSON`,
                { cause: err, details: { namespace: r?.namespace, key: r?.key } },
              ),
            );
            return;
          }
          const last = rows[rows.length - 1];
          if (last !== undefined) after = { namespace: last.namespace, key: last.key };
          limit = Math.max(MIN_PAGE, Math.min(MAX_PAGE, Math.floor(PAGE_BYTES / largest)));
          if (text.length > 0) stream.push(text, 'utf8');
          if (done) stream.push(null);
        },
        (err: unknown) => stream.destroy(err as Error),
      );
    },
  });
  stream.setEncoding('utf8');
  return stream;
}
