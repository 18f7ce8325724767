import { existsSync } from 'node:fs';
import path from 'node:path';
import { createPool } from '@hivedb/pool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, digestRoot, hivedb, json, seedRoot, startDemo, tempDir } from './helpers.js';

/** Every row outside the demo's namespaces, digested; and the namespaces present. */
async function outsideDemo(root: string): Promise<{ rows: string[]; namespaces: string[] }> {
  const pool = createPool({ filename: 'memory.db', root, readonly: true, healthCheckInterval: 0 });
  try {
    const rows = await pool.all<Record<string, unknown>>(
      'SELECT * FROM shared_memory ORDER BY namespace, key',
    );
    return {
      rows: rows
        .filter((r) => !String(r.namespace).startsWith('demo:'))
        .map((r) => JSON.stringify(r)),
      namespaces: [...new Set(rows.map((r) => String(r.namespace)))].sort(),
    };
  } finally {
    await pool.close();
  }
}

// Issue 16, item 5: the demo keeps to namespaces of its own and never deletes a root's data.
describe('the demo on a root that holds other data', () => {
  const t = tempDir();
  const root = path.join(t.dir, '.hive-mind');
  afterAll(t.cleanup);
  beforeAll(async () => {
    expect((await hivedb(t.dir, ['init'])).code).toBe(0);
    await seedRoot(t.dir, 20);
  });

  it('refuses to run there, --fresh or not, and changes nothing', async () => {
    const before = await digestRoot(root);
    for (const extra of [[], ['--fresh']]) {
      const r = await hivedb(t.dir, ['demo', '--agents', '1', '--duration', '1s', ...extra]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /^hivedb: CLI_ROOT_HAS_DATA: .*20 entries in 2 namespaces.*--allow-existing-data/m,
      );
    }
    expect(existsSync(path.join(root, 'memory.db'))).toBe(true);
    expect(existsSync(path.join(root, 'hive.db'))).toBe(true);
    expect(await digestRoot(root)).toEqual(before);
  });

  it('with --allow-existing-data writes only demo: namespaces; --fresh clears only those', async () => {
    const before = await outsideDemo(root);
    const first = await hivedb(
      t.dir,
      ['demo', '--agents', '2', '--duration', '1s', '--allow-existing-data', '--json'],
      120_000,
    );
    expect(first.code, first.stderr).toBe(0);
    const after = await outsideDemo(root);
    expect(after.rows).toEqual(before.rows);
    expect(after.namespaces).toEqual(['alpha', 'beta', 'demo:metrics', 'demo:task_results']);

    const second = await hivedb(
      t.dir,
      ['demo', '--agents', '2', '--duration', '1s', '--allow-existing-data', '--fresh', '--json'],
      120_000,
    );
    expect(second.code, second.stderr).toBe(0);
    expect((await outsideDemo(root)).rows).toEqual(before.rows);
    const runs = [json<{ runId: string }>(first).runId, json<{ runId: string }>(second).runId];
    const pool = createPool({
      filename: 'memory.db',
      root,
      readonly: true,
      healthCheckInterval: 0,
    });
    try {
      const keys = await pool.all<{ key: string }>(
        "SELECT key FROM shared_memory WHERE namespace LIKE 'demo:%'",
      );
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((k) => k.key.includes(runs[0] ?? '?'))).toEqual([]);
      expect(keys.every((k) => k.key.includes(runs[1] ?? '?'))).toBe(true);
    } finally {
      await pool.close();
    }
  }, 240_000);
});

// Issue 16, item 11: Ctrl-C stops every agent, prints the partial summary and exits 130.
describe('SIGINT to the demo', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('stops every agent, prints a partial summary and exits 130', async () => {
    const demo = startDemo(t.dir, ['--agents', '3', '--duration', '60s', '--json']);
    let agents: number[] = [];
    try {
      agents = await demo.agentsRunning();
      expect(agents).toHaveLength(3);
      demo.child.kill('SIGINT');
      const code = await Promise.race([
        demo.exited,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000)),
      ]);
      const stdout = demo.stdout();
      const stderr = demo.stderr();
      expect(code, stderr).toBe(130);
      const summary = JSON.parse(stdout) as {
        interrupted: boolean;
        operations: number;
        agentPids: number[];
        failedAgents: string[];
        lostUpdates: number;
      };
      expect(summary.interrupted).toBe(true);
      expect(summary.operations).toBeGreaterThan(0);
      expect(summary.failedAgents).toEqual([]);
      expect(summary.lostUpdates).toBe(0);
      expect([...summary.agentPids].sort()).toEqual([...agents].sort());
      expect(stderr).toMatch(/^hivedb: CLI_INTERRUPTED: demo: /m);
      expect(agents.filter(alive)).toEqual([]);
    } finally {
      for (const pid of [...agents, demo.child.pid as number])
        if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 120_000);
});
