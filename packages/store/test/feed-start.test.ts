import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHILDREN, requireBuilt } from './helpers/children.js';
import { useSandbox } from './helpers/sandbox.js';

const sb = useSandbox();

/** Resolves once `pred` holds (checked every 10 ms), or rejects after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes `key` from another process through the built store, blocking this event loop until it exits. */
function writeInChildBlocking(projectRoot: string, key: string): void {
  execFileSync(process.execPath, [join(CHILDREN, 'writer.mjs'), projectRoot, 'set', key, '1'], {
    timeout: 20_000,
  });
}

describe('where subscribe() without since starts', () => {
  it('at the call: changes another process commits while the event loop is blocked right after it are delivered', async () => {
    requireBuilt();
    const s = sb();
    const store = await s.open({ changeFeed: { pollIntervalMs: 5 } });
    await store.set('before', 1);
    const got: string[] = [];
    store.subscribe('*', (c) => void got.push(c.key));
    // Nothing of this process runs until the child has committed and exited.
    writeInChildBlocking(s.root, 'during-1');
    writeInChildBlocking(s.root, 'during-2');
    await until(() => got.length >= 2, 10_000, 'the changes committed during the block');
    await store.set('after', 1);
    await until(() => got.includes('after'), 10_000, 'the change committed after');
    expect(got).toEqual(['during-1', 'during-2', 'after']);
  });

  it('a write this process issues right after the call is delivered; one resolved before it is not', async () => {
    const store = await sb().open({ changeFeed: { pollIntervalMs: 5 } });
    await store.set('resolved-before', 1);
    const got: string[] = [];
    store.subscribe('*', (c) => void got.push(c.key));
    await store.set('issued-after', 1);
    await until(() => got.length >= 1, 10_000, 'the write issued after');
    expect(got).toEqual(['issued-after']);
  });
});
