import { performance } from 'node:perf_hooks';
import type { CommandContext } from '../context.js';
import { formatCount } from '../format.js';
import type { AgentConfig, AgentMessage, ParentMessage } from './protocol.js';
import { type AgentOutcome, runSwarm } from './swarm.js';

/** Agents not open after this long are left behind: the others start (the late ones start too, late). */
const OPEN_TIMEOUT_MS = 60_000;
/** After the deadline, agents still running this long are killed and reported as failed. */
const FINISH_GRACE_MS = 60_000;
/** After Ctrl-C, agents still running this long are killed (a second Ctrl-C kills them at once). */
const STOP_GRACE_MS = 10_000;

/** What the parent does with what agents send besides their final report. */
export interface SwarmHooks {
  /** A sample of the agents' pool utilisation (mean %, callers waiting), once a second. */
  onPoolSample(pct: number, waiting: number): void;
  /** An alert an agent's monitor raised. */
  onAlert(m: Extract<AgentMessage, { type: 'alert' }>): void;
  /** Changes the parent's own subscription has seen, for the live line (`null`: no feed). */
  parentChanges(): number | null;
}

/** How the swarm ended. */
export interface SwarmResult {
  readonly outcomes: readonly AgentOutcome[];
  /** Stopped early by SIGINT (Ctrl-C). */
  readonly interrupted: boolean;
  /** The agents' process ids (every one has exited when this resolves). */
  readonly pids: readonly number[];
}

function send(child: { connected: boolean; send(m: ParentMessage): boolean }, m: ParentMessage) {
  if (child.connected) child.send(m);
}

/**
 * Runs the agents: forks them, starts them all at once when all are open, keeps the live
 * progress line, and resolves once every agent has exited. SIGINT (Ctrl-C) tells every agent to
 * stop and report what it did, kills those still running after a grace period (at once on a
 * second Ctrl-C), and resolves as usual with `interrupted` set: no agent outlives the command.
 */
export async function coordinateSwarm(
  ctx: CommandContext,
  configs: readonly AgentConfig[],
  durationMs: number,
  wall0: number,
  hooks: SwarmHooks,
): Promise<SwarmResult> {
  const agents = configs.length;
  const latest = new Map<number, Extract<AgentMessage, { type: 'tick' }>>();
  const readySeen = new Set<number>();
  let deadline: number | undefined;
  let startAll: () => void = () => undefined;
  const allReady = new Promise<void>((r) => {
    startAll = r;
  });
  // Every agent waits for the start signal: one that dies while opening (or never gets ready)
  // must not leave the others waiting, so an exit counts towards "all settled" too.
  let settled = 0;
  const settle = () => {
    if (++settled === agents) startAll();
  };
  const swarm = runSwarm(
    configs,
    (m) => {
      if (m.type === 'ready') {
        readySeen.add(m.index);
        settle();
        // a late agent (opened after the others started) starts at once, with the same deadline
        const child = swarm.children[m.index];
        if (deadline !== undefined && child !== undefined) send(child, { type: 'start', deadline });
      } else if (m.type === 'tick') latest.set(m.index, m);
      else if (m.type === 'alert') hooks.onAlert(m);
    },
    (index) => {
      if (!readySeen.has(index)) settle();
    },
  );
  const pids = swarm.children.map((c) => c.pid).filter((p): p is number => p !== undefined);
  if (process.env.HIVEDB_DEMO_DEBUG) ctx.note(`[demo] agent pids: ${pids.join(' ')}`);
  const killAll = () => {
    for (const c of swarm.children)
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  let interrupted = false;
  let stopTimer: NodeJS.Timeout | undefined;
  const onSigint = () => {
    if (interrupted) {
      ctx.note('[demo] second Ctrl-C: killing the agents');
      killAll();
      return;
    }
    interrupted = true;
    ctx.note('\n[demo] Ctrl-C: stopping every agent (again to kill them)');
    deadline ??= Date.now();
    startAll();
    for (const c of swarm.children) send(c, { type: 'stop' });
    stopTimer = setTimeout(killAll, STOP_GRACE_MS);
    stopTimer.unref();
  };
  process.on('SIGINT', onSigint);
  const openTimeout = setTimeout(startAll, OPEN_TIMEOUT_MS);
  openTimeout.unref();
  let timer: NodeJS.Timeout | undefined;
  let killer: NodeJS.Timeout | undefined;
  try {
    await allReady;
    clearTimeout(openTimeout);
    const t0 = Date.now();
    deadline ??= t0 + durationMs;
    for (const c of swarm.children) send(c, { type: 'start', deadline });
    killer = setTimeout(killAll, durationMs + FINISH_GRACE_MS);
    killer.unref();
    if (!interrupted)
      ctx.note(
        `[demo] all agents open after ${((performance.now() - wall0) / 1000).toFixed(1)} s; running for ${(durationMs / 1000).toFixed(1)} s`,
      );
    const live = ctx.out.isTTY;
    let lastLine = 0;
    timer = setInterval(() => {
      let ops = 0;
      let errors = 0;
      let pct = 0;
      let waiting = 0;
      let changes = 0;
      for (const t of latest.values()) {
        ops += t.ops;
        errors += t.errors;
        pct += t.poolPct;
        waiting += t.waiting;
        changes += t.changes;
      }
      if (latest.size > 0) hooks.onPoolSample(pct / latest.size, waiting);
      const feed = hooks.parentChanges();
      const el = Math.min(durationMs, Date.now() - t0) / 1000;
      const line = `[demo] ${el.toFixed(0)}/${(durationMs / 1000).toFixed(0)} s  ${agents} agents  ${formatCount(ops)} ops  ${formatCount(ops / Math.max(el, 0.001))} ops/s  errors ${errors}${feed === null ? '' : `  feed ${formatCount(changes + feed)}`}  pool ${(pct / Math.max(1, latest.size)).toFixed(0)}%`;
      if (live) ctx.out.error(`\r${line}\u001b[K`);
      else if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        ctx.out.error(`${line}\n`);
      }
    }, 1000);
    timer.unref();
    const outcomes = await swarm.finished;
    if (live) ctx.out.error('\n');
    return { outcomes, interrupted, pids };
  } finally {
    clearTimeout(openTimeout);
    clearTimeout(killer);
    clearTimeout(stopTimer);
    clearInterval(timer);
    process.off('SIGINT', onSigint);
    // Whatever failed here, no agent is left running.
    killAll();
  }
}
