import { checkProgressOptions, progressReporter } from './backup.js';
import type { StoreContext } from './context.js';
import { StoreError } from './errors.js';
import { type ImportSource, invalidLine, readLines } from './jsonl.js';
import type { ImportRow } from './transfer-backend.js';
import type { DataType } from './types.js';
import { byteLength, checkDataType, checkVersion } from './validate.js';
import { serialize, serializeMetadata } from './serialize.js';

/** Options of `import()`. */
export interface ImportOptions {
  /** Called after each staged batch of records. */
  readonly onProgress?: (p: { readonly lines: number; readonly entries: number }) => void;
}

/** What `import()` did. */
export interface ImportResult {
  /** Lines read (blank lines included). */
  readonly lines: number;
  /** Entries written (records already expired at the import's start are skipped). */
  readonly entries: number;
}

/** How an import reaches the store: a check that it is still open, and the counted final step. */
export interface ImportGate {
  check(): void;
  run<T>(op: (ctx: StoreContext) => Promise<T>): Promise<T>;
}

const FIELDS = new Set([
  'namespace',
  'key',
  'value',
  'dataType',
  'metadata',
  'version',
  'createdAt',
  'updatedAt',
  'expiresAt',
]);

/** Records staged per transaction of the staging file. */
const BATCH = 1000;

function time(name: string, v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new StoreError(
    'STORE_INVALID_ARGUMENT',
    `${name} must be an integer ≥ 0 (ms since the epoch), got ${JSON.stringify(v)}`,
  );
}

function parseRecord(ctx: StoreContext, text: string, line: number, now: number): ImportRow | null {
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch (err) {
    throw invalidLine(line, `not valid JSON (${(err as Error).message})`, err);
  }
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
    throw invalidLine(line, 'not a JSON object');
  const r = rec as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!FIELDS.has(k)) throw invalidLine(line, `unknown field ${JSON.stringify(k)}`);
  if (!('key' in r)) throw invalidLine(line, 'no "key"');
  if (!('value' in r)) throw invalidLine(line, 'no "value"');
  try {
    const namespace = ctx.namespace(r.namespace);
    const key = ctx.key(r.key);
    const dataType: DataType = r.dataType === undefined ? 'persistent' : checkDataType(r.dataType);
    if (dataType === 'transient')
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        'dataType "transient" lives in memory only and is never imported to disk',
      );
    const value = serialize(r.value, ctx.opts.maxValueDepth);
    const metadata = serializeMetadata(r.metadata, ctx.opts.maxValueDepth);
    const size = byteLength(value);
    const total = size + (metadata === null ? 0 : byteLength(metadata));
    if (total > ctx.opts.maxValueSize)
      throw new StoreError(
        'STORE_VALUE_TOO_LARGE',
        `the entry is ${total} bytes as JSON (value and metadata), more than maxValueSize (${ctx.opts.maxValueSize})`,
      );
    const version = r.version === undefined ? 1 : checkVersion(r.version);
    const createdAt = r.createdAt === undefined ? now : time('createdAt', r.createdAt);
    const updatedAt = r.updatedAt === undefined ? createdAt : time('updatedAt', r.updatedAt);
    if (updatedAt < createdAt)
      throw new StoreError('STORE_INVALID_ARGUMENT', 'updatedAt is before createdAt');
    const expiresAt =
      r.expiresAt === undefined || r.expiresAt === null ? null : time('expiresAt', r.expiresAt);
    if (expiresAt !== null && expiresAt <= now) return null;
    return {
      namespace,
      key,
      value,
      dataType,
      metadata,
      version,
      createdAt,
      updatedAt,
      expiresAt,
      size,
      line,
    };
  } catch (err) {
    if (err instanceof StoreError) throw invalidLine(line, err.message, err);
    throw err;
  }
}

/**
 * Imports JSON Lines records (the format `export()` writes; `namespace` defaults to the store's
 * default namespace, `dataType` to `persistent`, `version` to 1, `createdAt` to now, `updatedAt`
 * to `createdAt`, `expiresAt` to none). Every record is validated like a `set()` and staged
 * outside the live database; only when the whole source has passed are the entries copied in,
 * in one transaction. A bad record rejects with `STORE_IMPORT_INVALID` naming its line, and
 * nothing is imported. An imported entry replaces what is under its key (see `COPY`).
 */
export async function importEntries(
  ctx: StoreContext,
  source: ImportSource,
  options: unknown,
  gate: ImportGate,
): Promise<ImportResult> {
  const opts = checkProgressOptions<ImportOptions>(options);
  const report = progressReporter(ctx, 'import:onProgress', opts.onProgress);
  const o = ctx.opts;
  const maxLength = o.maxValueSize + 6 * (o.maxKeyLength + o.maxNamespaceLength) + 1024;
  const now = ctx.now();
  const stage = await ctx.backend.transfer.stage();
  let lines = 0;
  let entries = 0;
  // Transient entries under imported keys would hide them: they go when the import commits.
  const shadowed: string[] = [];
  try {
    let batch: ImportRow[] = [];
    const flush = async (): Promise<void> => {
      gate.check();
      if (batch.length > 0) {
        const dup = await stage.add(batch);
        if (dup !== null)
          throw invalidLine(
            dup.duplicate.line,
            `the same namespace and key as line ${dup.first} (${JSON.stringify(dup.duplicate.key)} in ${JSON.stringify(dup.duplicate.namespace)})`,
          );
        entries += batch.length;
        batch = [];
      }
      report({ lines, entries });
    };
    for await (const text of readLines(source, maxLength)) {
      lines++;
      if (text.trim() === '') continue;
      const row = parseRecord(ctx, text, lines, now);
      if (row === null) continue;
      if (ctx.transient.size > 0) {
        const ck = `${row.namespace}\0${row.key}`;
        if (ctx.transient.any(ck) !== undefined) shadowed.push(ck);
      }
      batch.push(row);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    await gate.run(() => stage.commit());
  } finally {
    await stage.discard();
  }
  ctx.epoch++;
  ctx.cache?.clear();
  for (const ck of shadowed) ctx.transient.remove(ck);
  return { lines, entries };
}
