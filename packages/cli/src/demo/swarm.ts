import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentConfig, AgentMessage } from './protocol.js';

type Done = Extract<AgentMessage, { type: 'done' }>;

/** What became of one agent process. */
export interface AgentOutcome {
  readonly index: number;
  readonly done: Done | null;
  readonly failure: string | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
}

/** The agent script, built beside this module (`dist/demo-agent.js`). */
export function agentScript(): string {
  return fileURLToPath(new URL('./demo-agent.js', import.meta.url));
}

/**
 * Forks one agent process per config and resolves when every one has exited, with what each
 * reported. `onMessage` sees every message as it arrives (ticks, alerts), `onExit` every exit. A
 * child that exits without its `done` report is an outcome with `failure` set, never a hang.
 */
export function runSwarm(
  configs: readonly AgentConfig[],
  onMessage: (msg: AgentMessage) => void,
  onExit: (index: number) => void = () => undefined,
): { children: ChildProcess[]; finished: Promise<AgentOutcome[]> } {
  const script = agentScript();
  const children: ChildProcess[] = [];
  const outcomes = configs.map(
    (cfg) =>
      new Promise<AgentOutcome>((resolve) => {
        const child = fork(script, [], {
          env: { ...process.env, HIVEDB_DEMO_AGENT: JSON.stringify(cfg) },
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
          serialization: 'json',
        });
        children.push(child);
        let done: Done | null = null;
        let failure: string | null = null;
        let stderr = '';
        child.stderr?.on('data', (d: Buffer) => {
          // HIVEDB_DEMO_DEBUG=1 passes the agents' stderr through (it is kept for failures anyway).
          if (process.env.HIVEDB_DEMO_DEBUG) process.stderr.write(d);
          if (stderr.length < 4000) stderr += d.toString('utf8');
        });
        child.on('message', (m: AgentMessage) => {
          if (m.type === 'done') done = m;
          else if (m.type === 'failed') failure = m.message;
          onMessage(m);
        });
        child.on('error', (err) => {
          failure ??= err.message;
        });
        child.on('exit', (code, signal) => {
          if (done === null && failure === null)
            failure = `exited (${signal ?? `code ${code}`}) before reporting${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
          onExit(cfg.index);
          resolve({ index: cfg.index, done, failure, exitCode: code, signal });
        });
      }),
  );
  return { children, finished: Promise.all(outcomes) };
}
