import { SharedMemoryStore } from '@hivedb/store';
import { CliError } from '../errors.js';
import { requireNotOpenInProcess } from '../io/open-in-process.js';
import type { HiveRoot } from '../root.js';
import { noDatabase, requireDatabase } from '../root.js';
import { badDatabase, inspectRootDatabase } from './inspect.js';

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/**
 * The store opened `readonly` on the root's existing `memory.db`, for the read-only commands
 * (`get`, `list`, `stats`, `export`, `status`'s entry counts, the demo's guard): it never creates,
 * migrates or writes a database, and records no access. `CLI_NO_ROOT` / `CLI_NO_DATABASE` when
 * the root or the file is missing; `CLI_BAD_DATABASE` naming what is wrong, in `status`'s words,
 * when the store refuses the file (`STORE_SCHEMA_MISMATCH`, or `STORE_OPEN_FAILED` for a file
 * the inspection finds unsound); `CLI_FILE_IN_USE` when this process has it open already.
 *
 * @example
 * const store = await openReadOnlyStore(ctx.root);
 * try { await store.get('plan', { includeMetadata: true }); } finally { await store.shutdown(); }
 */
export async function openReadOnlyStore(root: HiveRoot): Promise<SharedMemoryStore> {
  // The store inspects the file first, reading its header through a descriptor of its own.
  requireNotOpenInProcess(requireDatabase(root, 'memory'));
  try {
    return await SharedMemoryStore.open({
      projectRoot: root.projectRoot,
      readonly: true,
      gcInterval: 0,
    });
  } catch (err) {
    const code = codeOf(err);
    if (code === 'STORE_NO_DATABASE') throw noDatabase(root, 'memory', err);
    if (code !== 'STORE_SCHEMA_MISMATCH' && code !== 'STORE_OPEN_FAILED') throw err;
    // The store left nothing open: the inspection may read the file (and says it as `status` does).
    const report = await inspectRootDatabase(root, 'memory', 'none');
    if (!report.ok) throw badDatabase(report.file, report.problems, err);
    if (code === 'STORE_OPEN_FAILED') throw err;
    throw badDatabase(report.file, [(err as Error).message], err);
  }
}

/**
 * A stored value a read could not parse, as `CLI_BAD_DATABASE` (exit 1): a read-only command
 * passes no value of its own, so `STORE_INVALID_VALUE` (export) or a bare `SyntaxError` (`get`
 * and `list` parse stored JSON as it is) means a damaged entry, not the caller's bad input.
 */
function damagedEntry(root: HiveRoot, err: unknown): unknown {
  if (codeOf(err) !== 'STORE_INVALID_VALUE' && !(err instanceof SyntaxError)) return err;
  return new CliError(
    'CLI_BAD_DATABASE',
    `${root.memoryPath} holds an entry hivedb cannot read: ${err instanceof SyntaxError ? `a stored value is not valid JSON (${err.message})` : (err as Error).message}`,
    { cause: err, details: { file: root.memoryPath } },
  );
}

/**
 * Runs `fn` with {@link openReadOnlyStore}'s store and shuts it down afterwards, whatever happens.
 * A damaged stored value is `CLI_BAD_DATABASE`.
 */
export async function withReadOnlyStore<T>(
  root: HiveRoot,
  fn: (store: SharedMemoryStore) => Promise<T>,
): Promise<T> {
  const store = await openReadOnlyStore(root);
  try {
    return await fn(store);
  } catch (err) {
    throw damagedEntry(root, err);
  } finally {
    await store.shutdown();
  }
}
