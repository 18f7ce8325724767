import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from './helpers.js';

/** Pids of the live children of `ppid`, from /proc. */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === ppid) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

describe('demo with an agent killed by SIGKILL', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('reports the dead agent and exits 1, without hanging', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'demo', '--agents', '3', '--duration', '4s', '--json'],
      {
        cwd: t.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    // wait until the agents run, then kill one of them outright
    const started = Date.now();
    while (!stderr.includes('running for') && Date.now() - started < 60_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('running for');
    await new Promise((r) => setTimeout(r, 1000));
    const agents = childrenOf(child.pid as number);
    expect(agents.length).toBe(3);
    process.kill(agents[0] as number, 'SIGKILL');
    const code = await exited;
    expect(code).toBe(1);
    const summary = JSON.parse(stdout) as {
      ok: boolean;
      failedAgents: string[];
      integrityOk: boolean;
      agents: number;
    };
    expect(summary.ok).toBe(false);
    expect(summary.failedAgents).toHaveLength(1);
    expect(summary.failedAgents[0]).toMatch(/SIGKILL/);
    // the survivors' work is intact: the store is still consistent
    expect(summary.integrityOk).toBe(true);
    expect(stderr).toMatch(/hivedb: CLI_CHECK_FAILED: demo: .*1 agents failed/);
  }, 90_000);
});
