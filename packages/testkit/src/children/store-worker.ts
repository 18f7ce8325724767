// Opens a store on a project root with a JSON configuration and runs one operation, printing
// `result <json>` at the end (or `committed <n>` lines as it goes, for `crash-writer`).
// Usage: node store-worker.js <projectRoot> <store options json> <op> <args json>
import { SharedMemoryStore } from '@hivedb/store';
import type { StoreWorkerArgs as Args } from '../store-worker.js';

const [projectRoot, optionsJson, op, argsJson] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];
const args = JSON.parse(argsJson) as Args;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function codeOf(err: unknown): Record<string, unknown> {
  const e = err as { code?: string; sqliteCode?: string; message?: string };
  return { code: e.code ?? null, sqliteCode: e.sqliteCode ?? null, message: String(e.message) };
}

let store: SharedMemoryStore;
try {
  store = await SharedMemoryStore.open({
    gcInterval: 0,
    ...JSON.parse(optionsJson),
    projectRoot,
  });
} catch (err) {
  if (op !== 'readonly-probe') throw err;
  say(`result ${JSON.stringify({ opened: false, openError: codeOf(err) })}`);
  process.exit(0);
}
const ns = args.namespace === undefined ? {} : { namespace: args.namespace };

switch (op) {
  case 'set': {
    const r = await store.set(args.key!, args.value as never, ns);
    say(`result ${JSON.stringify({ version: r.version })}`);
    break;
  }
  case 'delete': {
    say(`result ${JSON.stringify({ existed: await store.delete(args.key!, ns) })}`);
    break;
  }
  case 'get': {
    say(`result ${JSON.stringify({ value: await store.get(args.key!, ns) })}`);
    break;
  }
  case 'increment': {
    say('started');
    for (let i = 0; i < (args.times ?? 1); i++) await store.increment(args.key!, args.by ?? 1, ns);
    say(`result ${JSON.stringify({ done: args.times ?? 1 })}`);
    break;
  }
  case 'atomic': {
    say('started');
    for (let i = 0; i < (args.times ?? 1); i++) {
      await store.atomic(args.key!, (cur: { n?: number } | null) => ({ n: (cur?.n ?? 0) + 1 }), {
        ...ns,
        maxAttempts: 1000,
      });
    }
    say(`result ${JSON.stringify({ done: args.times ?? 1 })}`);
    break;
  }
  case 'crash-writer': {
    // Batch i writes `b<i>-<j>` for every j and `last` = i in one transaction; `committed i` is
    // printed only after the batch's commit resolved. Runs until it is killed.
    const size = args.batchSize ?? 50;
    for (let i = args.first ?? 0; ; i++) {
      const batch = store.batch();
      for (let j = 0; j < size; j++) batch.set(`b${i}-${j}`, { i, j }, ns);
      batch.set('last', i, ns);
      await batch.commit();
      say(`committed ${i}`);
    }
  }
  case 'readonly-probe': {
    // Reads every key given, then tries a write: what a process meets on a read-only file.
    const values: Record<string, unknown> = {};
    for (const key of args.keys ?? []) values[key] = await store.get(key, ns);
    let writeError: Record<string, unknown> | null = null;
    try {
      await store.set(args.key!, args.value as never, ns);
    } catch (err) {
      writeError = codeOf(err);
    }
    say(`result ${JSON.stringify({ opened: true, values, writeError })}`);
    break;
  }
  default:
    throw new Error(`store-worker: unknown op ${op}`);
}
await store.shutdown().catch(() => {});
