import { DATA_TYPES, type DataType } from '@hivedb/store';
import { type CommandContext, withStore } from '../context.js';
import { CliError } from '../errors.js';
import { formatBytes, table } from '../format.js';
import { parseInteger, parseJson } from '../parse.js';

/** Options shared by the store commands. */
export interface KvOptions {
  readonly namespace?: string;
}

function nsLabel(ns: string | undefined): string {
  return ns ?? 'shared_state';
}

/** `get KEY [-n NS]`: prints the value as JSON. Exit 1 when there is no live entry. */
export async function getCommand(ctx: CommandContext, key: string, opts: KvOptions): Promise<void> {
  const r = await withStore(ctx, (store) =>
    store.get(key, {
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      includeMetadata: true,
    }),
  );
  const res = r as { value: unknown; metadata: unknown; found: boolean };
  if (!res.found)
    throw new CliError(
      'CLI_NOT_FOUND',
      `no entry ${JSON.stringify(key)} in namespace ${JSON.stringify(nsLabel(opts.namespace))}`,
    );
  ctx.result(
    { key, namespace: nsLabel(opts.namespace), value: res.value, metadata: res.metadata },
    () => JSON.stringify(res.value, null, 2),
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
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(ttl === undefined ? {} : { ttl }),
      ...(opts.type === undefined ? {} : { dataType: opts.type as DataType }),
      agentId: opts.agent ?? 'hivedb-cli',
    }),
  );
  ctx.result(
    { key, namespace: nsLabel(opts.namespace), ...r },
    () =>
      `set ${nsLabel(opts.namespace)}:${key} (version ${r.version}, ${formatBytes(r.size)}${r.expiresAt ? `, expires ${new Date(r.expiresAt).toISOString()}` : ''})`,
  );
}

/** `delete KEY [-n NS]`. Exit 1 when there was no live entry. */
export async function deleteCommand(
  ctx: CommandContext,
  key: string,
  opts: KvOptions,
): Promise<void> {
  const existed = await withStore(ctx, (store) =>
    store.delete(key, {
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      agentId: 'hivedb-cli',
    }),
  );
  if (!existed)
    throw new CliError(
      'CLI_NOT_FOUND',
      `no entry ${JSON.stringify(key)} in namespace ${JSON.stringify(nsLabel(opts.namespace))}`,
    );
  ctx.result(
    { key, namespace: nsLabel(opts.namespace), deleted: true },
    () => `deleted ${nsLabel(opts.namespace)}:${key}`,
  );
}

/** Options of `list`. */
export interface ListCommandOptions extends KvOptions {
  readonly prefix?: string;
  readonly limit?: string;
}

/** `list [-n NS] [--prefix P] [--limit N]`: live entries, in key order (every namespace when none is given). */
export async function listCommand(ctx: CommandContext, opts: ListCommandOptions): Promise<void> {
  const limit = parseInteger(opts.limit, '--limit', 1) ?? 100;
  const entries = await withStore(ctx, async (store) => {
    const namespaces =
      opts.namespace !== undefined
        ? [opts.namespace]
        : Object.keys((await store.getStats()).namespaces).sort();
    const out = [];
    for (const ns of namespaces) {
      if (out.length >= limit) break;
      const page = await store.list({
        namespace: ns,
        ...(opts.prefix ? { prefix: opts.prefix } : {}),
        limit: limit - out.length,
      });
      out.push(...page.entries);
    }
    return out;
  });
  ctx.result({ entries }, () =>
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
  );
}

/** `stats`: the store's statistics (entries, bytes, namespaces). */
export async function statsCommand(ctx: CommandContext): Promise<void> {
  const stats = await withStore(ctx, (store) => store.getStats());
  ctx.result(stats, () =>
    [
      `entries: ${stats.entryCount} (${formatBytes(stats.memoryUsage)} of JSON)`,
      table(['namespace', 'entries'], Object.entries(stats.namespaces)),
    ].join('\n'),
  );
}
