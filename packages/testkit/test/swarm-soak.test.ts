/**
 * The swarm soak test (issue 17): agent processes on one memory.db, flat out, for minutes, while
 * the test SIGKILLs a random agent every 2 s (and starts it again) and, twice, whichever process
 * is the elected checkpointer. Throughout, both WAL files are sampled every 100 ms. Afterwards:
 * every write acknowledged to any agent is there, every shared counter equals the sum of the
 * agents' own tallies (written in the same batch), `integrity_check` is ok, and neither WAL ever
 * passed the bound. Sized for CI by HIVEDB_SOAK_AGENTS (24) and HIVEDB_SOAK_SECONDS (120).
 * HIVEDB_SOAK_CHECKPOINTER=sqlite gives the agents SQLite's own autocheckpoint instead of the
 * elected checkpointer: the WAL then passes its bound and the test fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createPool, DEFAULT_POOL_OPTIONS } from '@hivedb/pool';
import { SharedMemoryStore } from '@hivedb/store';
import { afterAll, describe, expect, it } from 'vitest';

const AGENTS = Number(process.env.HIVEDB_SOAK_AGENTS ?? 24);
const SECONDS = Number(process.env.HIVEDB_SOAK_SECONDS ?? 120);
const COUNTERS = 4;
const KILL_EVERY_MS = 2000;
const SCRIPT = fileURLToPath(new URL('./children/soak-agent.mjs', import.meta.url));
const LIMIT = DEFAULT_POOL_OPTIONS.walLimitBytes;

interface Agent {
  readonly index: number;
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  /** The last `wal` report: whether this process is the checkpointer. */
  leads: boolean;
  ready: Promise<void>;
}

const base = mkdtempSync(join(tmpdir(), 'hivedb-soak-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('the swarm under SIGKILL', () => {
  it(
    `${AGENTS} agents for ${SECONDS} s: a random agent and the checkpointer killed on the way; nothing acknowledged is lost, counters exact, WAL bounded`,
    async () => {
      const projectRoot = join(base, 'project');
      const created = await SharedMemoryStore.open({ projectRoot, gcInterval: 0 });
      await created.shutdown();
      const dir = join(projectRoot, '.hive-mind');
      const acked = new Map<string, number>();
      const incs = new Array<number>(COUNTERS).fill(0);
      const errors: string[] = [];
      const live = new Map<number, Agent>();
      let kills = 0;
      let leaderKills = 0;

      const start = (index: number): Agent => {
        const proc = spawn(
          process.execPath,
          [SCRIPT, projectRoot, String(index), String(AGENTS), String(COUNTERS)],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stderr = '';
        proc.stderr!.on('data', (d: Buffer) => {
          if (stderr.length < 4000) stderr += d.toString();
        });
        let resolveReady!: () => void;
        const agent: Agent = {
          index,
          proc,
          leads: false,
          ready: new Promise((r) => {
            resolveReady = r;
          }),
          exited: new Promise((resolve) => {
            proc.on('close', (code, signal) => {
              if (code !== 0 && signal !== 'SIGKILL')
                errors.push(`agent ${index} exited (${code ?? signal}): ${stderr.trim()}`);
              resolve();
            });
          }),
        };
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          const [kind, a, b] = line.split(' ');
          if (kind === 'ack') acked.set(a!, Math.max(acked.get(a!) ?? 0, Number(b)));
          else if (kind === 'inc') incs[Number(a)]!++;
          else if (kind === 'wal') agent.leads = a === 'true';
          else if (kind === 'ready') resolveReady();
          else if (kind === 'error') errors.push(`agent ${index}: ${line}`);
        });
        live.set(index, agent);
        return agent;
      };

      const kill = async (agent: Agent) => {
        agent.proc.kill('SIGKILL');
        await agent.exited;
        live.delete(agent.index);
        kills++;
        start(agent.index);
      };

      await Promise.all(Array.from({ length: AGENTS }, (_, i) => start(i).ready));
      let maxMemoryWal = 0;
      let maxHiveWal = 0;
      const sample = () => {
        maxMemoryWal = Math.max(maxMemoryWal, sizeOf(join(dir, 'memory.db-wal')));
        maxHiveWal = Math.max(maxHiveWal, sizeOf(join(dir, 'hive.db-wal')));
      };
      const sampler = setInterval(sample, 100);
      const started = Date.now();
      const end = started + SECONDS * 1000;
      const leaderKillsAt = [started + (SECONDS * 1000) / 3, started + (SECONDS * 2000) / 3];
      try {
        // A kill every 2 s on a fixed schedule (a kill's own time does not push the next one back).
        for (let at = started + KILL_EVERY_MS; at < end; at += KILL_EVERY_MS) {
          await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
          const leader = [...live.values()].find((a) => a.leads);
          if (leader !== undefined && leaderKillsAt.length > 0 && Date.now() >= leaderKillsAt[0]!) {
            leaderKillsAt.shift();
            leaderKills++;
            await kill(leader);
            continue;
          }
          const agents = [...live.values()];
          await kill(agents[Math.floor(Math.random() * agents.length)]!);
        }
        // Stop every agent; each finishes its operation in flight and shuts its store down.
        const all = [...live.values()];
        await Promise.all(all.map((a) => a.ready));
        for (const a of all) a.proc.kill('SIGTERM');
        await Promise.all(all.map((a) => a.exited));
      } finally {
        clearInterval(sampler);
        for (const a of live.values()) a.proc.kill('SIGKILL');
      }
      sample();

      expect(errors).toEqual([]);
      expect(maxMemoryWal, 'memory.db-wal stayed under the bound').toBeLessThan(LIMIT);
      expect(maxHiveWal, 'hive.db-wal stayed under the bound').toBeLessThan(LIMIT);
      expect(kills).toBe(Math.ceil((SECONDS * 1000) / KILL_EVERY_MS) - 1);
      expect(leaderKills, 'the checkpointer was found and killed twice').toBe(2);

      const store = await SharedMemoryStore.open({ projectRoot, gcInterval: 0 });
      try {
        expect(acked.size).toBe(AGENTS * 8);
        for (const [key, seq] of acked) {
          const v = await store.get<{ seq: number }>(key, { namespace: 'soak', bypassCache: true });
          expect(v?.seq ?? 0, key).toBeGreaterThanOrEqual(seq);
        }
        for (let k = 0; k < COUNTERS; k++) {
          const counter = (await store.get<number>(`c:${k}`, { namespace: 'soak' })) ?? 0;
          let tallies = 0;
          for (let i = 0; i < AGENTS; i++)
            tallies += (await store.get<number>(`t:${i}:${k}`, { namespace: 'soak' })) ?? 0;
          expect(counter, `counter ${k} equals the agents' tallies`).toBe(tallies);
          expect(counter, `counter ${k} holds every acknowledged increment`).toBeGreaterThanOrEqual(
            incs[k]!,
          );
        }
      } finally {
        await store.shutdown();
      }
      const pool = createPool({ filename: 'memory.db', root: dir, healthCheckInterval: 0 });
      try {
        expect(await pool.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
      } finally {
        await pool.close();
      }
      console.log(
        `soak: ${AGENTS} agents × ${SECONDS} s, ${kills} kills (${leaderKills} of the checkpointer), ${acked.size} keys, ${incs.reduce((a, b) => a + b, 0)} increments; largest memory.db-wal ${(maxMemoryWal / 1048576).toFixed(1)} MiB, hive.db-wal ${(maxHiveWal / 1048576).toFixed(1)} MiB`,
      );
    },
    (SECONDS + 120) * 1000,
  );
});

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
