import { existsSync } from 'node:fs';
import type { SharedMemoryStore } from '@hivedb/store';
import type { CommandContext } from '../context.js';
import { withReadOnlyStore } from '../database/read-only-store.js';
import { CliError } from '../errors.js';
import { formatCount } from '../format.js';
import { ensureDir } from '../io/ensure-dir.js';
import { quoted } from '../terminal-text.js';
import { DEMO_PREFIX, isDemoNamespace } from './protocol.js';

/**
 * Makes sure the demo may run on the root, before anything is written: the root is created when
 * missing; an existing `memory.db` is read read-only, and one that holds entries outside the
 * demo's `demo:` namespaces is refused (`CLI_ROOT_HAS_DATA`) unless `allowExistingData`. One that
 * is not a sound hivedb database is refused too (`CLI_BAD_DATABASE`): the demo never migrates,
 * repairs or replaces a database it did not make.
 */
export async function guardDemoRoot(
  ctx: CommandContext,
  allowExistingData: boolean,
): Promise<void> {
  const { root } = ctx;
  ensureDir(root.dir);
  if (!existsSync(root.memoryPath)) return;
  const others = await withReadOnlyStore(root, async (store) =>
    Object.entries((await store.getStats()).namespaces).filter(([ns]) => !isDemoNamespace(ns)),
  );
  if (others.length === 0 || allowExistingData) return;
  const entries = others.reduce((a, [, n]) => a + n, 0);
  const names = others.slice(0, 5).map(([ns]) => quoted(ns));
  throw new CliError(
    'CLI_ROOT_HAS_DATA',
    `demo: ${root.memoryPath} holds ${formatCount(entries)} entries in ${others.length} namespaces that are not the demo's (${names.join(', ')}${others.length > 5 ? ', …' : ''}). The demo writes only into ${DEMO_PREFIX}* namespaces and never touches others: pass --allow-existing-data to run it there anyway, or choose another --root`,
    { details: { entries, namespaces: others.map(([ns]) => ns) } },
  );
}

/** `--fresh`: removes every entry of the demo's own namespaces (and nothing else); returns how many. */
export async function clearDemoNamespaces(store: SharedMemoryStore): Promise<number> {
  let removed = 0;
  for (const ns of Object.keys((await store.getStats()).namespaces))
    if (isDemoNamespace(ns)) removed += await store.clear({ namespace: ns });
  return removed;
}
