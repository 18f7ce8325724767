import { DATA_TYPES, DEFAULT_STORE_OPTIONS, type DataType } from '@hivedb/store';
import { type CommandContext, withStore } from '../context.js';
import { withReadOnlyStore } from '../database/read-only-store.js';
import { CliError } from '../errors.js';
import { formatBytes, table } from '../format.js';
import { parseInteger, parseJson } from '../parse.js';
import { printableJson, quoted, safe } from '../terminal-text.js';

/** Options shared by the store commands. `namespace` was checked by `parseNamespace`. */
export interface KvOptions {
  readonly namespace?: string;
}

/** The namespace a command without `-n` uses: the store's default. */
export function namespaceOf(opts: KvOptions): string {
  return opts.namespace ?? DEFAULT_STORE_OPTIONS.defaultNamespace;
}

function notFound(key: string, namespace: string): CliError {
  return new CliError('CLI_NOT_FOUND', `no entry ${quoted(key)} in namespace ${quoted(namespace)}`);
}

/** `get KEY [-n NS]`: prints the value as JSON. Exit 1 when there is no live entry. Read-only. */
export async function getCommand(ctx: CommandContext, key: string, opts: KvOptions): Promise<void> {
  const namespace = namespaceOf(opts);
  const res = await withReadOnlyStore(ctx.root, (store) =>
    store.get(key, { namespace, includeMetadata: true }),
  );
  if (!res.found) throw notFound(key, namespace);
  ctx.result({ key, namespace, value: res.value, metadata: res.metadata }, () =>
    printableJson(JSON.stringify(res.value, null, 2)),
  );
}

/** Options of `set`. */
export interface SetCommandOptions extends KvOptions {
  readonly ttl?: string;
  readonly type?: string;
  readonly string?: boolean;
  readonly agent?: string;
}

/** `set KEY VALUE [-n NS] [--ttl MS] [--type T] [--string]`: VALUE is JSON unless `--string`. */
export async function setCommand(
  ctx: CommandContext,
  key: string,
  raw: string,
  opts: SetCommandOptions,
): Promise<void> {
  const namespace = namespaceOf(opts);
  const value = opts.string === true ? raw : parseJson(raw, 'VALUE');
  const ttl = parseInteger(opts.ttl, '--ttl', 1);
  const types: readonly string[] = Object.values(DATA_TYPES);
  if (opts.type !== undefined && !types.includes(opts.type))
    throw new CliError(
      'CLI_USAGE',
      `--type: expected one of ${types.join(', ')} (got ${JSON.stringify(opts.type)})`,
    );
  if (opts.type === 'transient')
    throw new CliError(
      'CLI_USAGE',
      '--type transient is kept in one process only: useless from the command line',
    );
  const r = await withStore(ctx, (store) =>
    store.set(key, value as never, {
      namespace,
      ...(ttl === undefined ? {} : { ttl }),
      ...(opts.type === undefined ? {} : { dataType: opts.type as DataType }),
      agentId: opts.agent ?? 'hivedb-cli',
    }),
  );
  ctx.result(
    { key, namespace, ...r },
    () =>
      safe`set ${namespace}:${key}` +
      ` (version ${r.version}, ${formatBytes(r.size)}${r.expiresAt ? `, expires ${new Date(r.expiresAt).toISOString()}` : ''})`,
  );
}

/** `delete KEY [-n NS]`. Exit 1 when there was no live entry. */
export async function deleteCommand(
  ctx: CommandContext,
  key: string,
  opts: KvOptions,
): Promise<void> {
  const namespace = namespaceOf(opts);
  const existed = await withStore(ctx, (store) =>
    store.delete(key, { namespace, agentId: 'hivedb-cli' }),
  );
  if (!existed) throw notFound(key, namespace);
  ctx.result({ key, namespace, deleted: true }, () => safe`deleted ${namespace}:${key}`);
}

/** `stats`: live entries, bytes and entries per namespace. Read-only. */
export async function statsCommand(ctx: CommandContext): Promise<void> {
  // Only what is on disk: the rest of getStats() counts this short-lived process's own calls.
  const stats = await withReadOnlyStore(ctx.root, async (store) => {
    const { entryCount, totalEntries, memoryUsage, namespaces } = await store.getStats();
    return { entryCount, totalEntries, memoryUsage, namespaces };
  });
  ctx.result(stats, () =>
    [
      `entries: ${stats.entryCount} (${formatBytes(stats.memoryUsage)} of JSON)`,
      table(['namespace', 'entries'], Object.entries(stats.namespaces)),
    ].join('\n'),
  );
}
