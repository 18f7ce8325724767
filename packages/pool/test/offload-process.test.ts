// The built package, loaded by its name in a child process: the offload worker's script is
// found beside the running build (ESM and CJS), and a process that used it exits by itself.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireBuiltEntry, spawnNode, useSandbox, within } from './helpers/index.js';

const sb = useSandbox();
const children = join(import.meta.dirname, 'helpers', 'children');

async function run(script: string, args: readonly string[]): Promise<unknown> {
  requireBuiltEntry();
  const child = spawnNode(join(children, script), args);
  const { code, signal } = await within(15_000, child.exited, `${script} exiting by itself`);
  expect({ code, signal }, child.stderr()).toEqual({ code: 0, signal: null });
  return JSON.parse(child.lines[0]!);
}

describe('offload workers in a consumer process', () => {
  it('ESM: offloaded reads on two workers; after close() the process exits by itself', async () => {
    const out = await run('offload-lifecycle.mjs', [sb().root, 'life.db', 'close']);
    expect(out).toEqual({ rows: [1, 1, 1, 1], workers: 2, after: 0 });
  });

  it('ESM: a process that leaves its pool open (workers idle) still exits by itself', async () => {
    const out = await run('offload-lifecycle.mjs', [sb().root, 'life.db', 'leave-open']);
    expect(out).toEqual({ rows: [1, 1, 1, 1], workers: 2, after: 2 });
  });

  it('CommonJS: require() starts the .cjs worker; timeouts are enforced there too', async () => {
    const out = await run('offload-consumer.cjs', [sb().root]);
    expect(out).toEqual({ row: { v: 'from a cjs worker' }, timeout: 'POOL_QUERY_TIMEOUT' });
  });
});
