import { afterAll, describe, expect, it } from 'vitest';
import { startDemo, tempDir } from './helpers.js';

describe('demo with an agent killed by SIGKILL', () => {
  const t = tempDir();
  afterAll(t.cleanup);

  it('reports the dead agent and exits 1, without hanging', async () => {
    const demo = startDemo(t.dir, ['--agents', '3', '--duration', '4s', '--json']);
    // wait until the agents run, then kill one of them outright
    const agents = await demo.agentsRunning();
    expect(agents.length).toBe(3);
    process.kill(agents[0] as number, 'SIGKILL');
    const code = await demo.exited;
    const stdout = demo.stdout();
    const stderr = demo.stderr();
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
