/**
 * One demo agent: a child process the demo forks. It opens the shared store and a reader pool on
 * the same `memory.db`, attaches a `PerformanceMonitor` (persisting to `hive.db`), and until the
 * deadline writes results, reads other agents' results, increments shared counters, updates
 * lock-guarded counters and follows the change feed; it counts every success exactly and reports
 * to the parent over IPC. Not part of the public API.
 */
import { performance } from 'node:perf_hooks';
import { PerformanceMonitor } from '@hivedb/monitor';
import { createPool } from '@hivedb/pool';
import { SharedMemoryStore } from '@hivedb/store';
import { hasFeature } from '../store-features.js';
import {
  type AgentConfig,
  type AgentMessage,
  binOfMs,
  DEMO_NAMESPACES,
  demoKeys,
  HIST_BINS,
  type OpKind,
  type ParentMessage,
  rng,
} from './protocol.js';
import { trackUtilization } from './utilization.js';

type LockApi = {
  acquireLock(
    key: string,
    agentId: string,
    o?: { namespace?: string; ttl?: number; wait?: number },
  ): Promise<{ token: number; expiresAt: number }>;
  releaseLock(key: string, agentId: string, o?: { namespace?: string }): Promise<boolean>;
};
type FeedApi = {
  subscribe(
    pattern: string,
    cb: (c: { seq: number }) => void,
    o?: { namespace?: string },
  ): { unsubscribe(): void };
};

const RESULT_SLOTS = 20;
const NS_RESULTS = DEMO_NAMESPACES.results;
const NS_COUNTERS = DEMO_NAMESPACES.counters;
const WEIGHTS: [OpKind, number][] = [
  ['write', 25],
  ['read', 35],
  ['increment', 15],
  ['locked-update', 5],
  ['scan', 5],
  ['list', 15],
];
const LOCK_CONTENTION = new Set(['STORE_LOCK_HELD', 'STORE_LOCK_TIMEOUT']);
/** The longest the work loop runs without letting the event loop turn (ms). */
const YIELD_EVERY_MS = 20;

function send(msg: AgentMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

async function main(cfg: AgentConfig): Promise<void> {
  const agentId = `agent-${cfg.index}`;
  const random = rng(cfg.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const totalWeight = WEIGHTS.reduce((a, [, w]) => a + w, 0);
  const nextKind = (): OpKind => {
    let r = random() * totalWeight;
    for (const [k, w] of WEIGHTS) {
      r -= w;
      if (r < 0) return k;
    }
    return 'read';
  };

  const store = await SharedMemoryStore.open({
    projectRoot: cfg.projectRoot,
    gcInterval: 0,
    maxConnections: 2,
    pool: { busyTimeout: 10_000, healthCheckInterval: 0 },
  });
  const reader = createPool({
    filename: 'memory.db',
    root: cfg.dir,
    minConnections: 1,
    maxConnections: 2,
    healthCheckInterval: 0,
  });
  const monitor = new PerformanceMonitor({
    slowQueryThreshold: 100,
    monitoringInterval: 1000,
    windowMs: 60_000,
    alertMinQueries: 50,
    persistence: {
      filename: 'hive.db',
      root: cfg.dir,
      sampleRate: cfg.sampleRate,
      flushIntervalMs: 1000,
      migrate: false,
    },
  });
  monitor.attach(store.events, { name: `${agentId}:store` });
  monitor.attachPool(reader, { name: `${agentId}:memory.db` });
  // The store's own pool of memory.db: every set, get, lock and feed poll runs through it.
  const storePool = store.pools().memory;
  monitor.attach(storePool.events, { name: `${agentId}:store memory.db` });
  monitor.events.on('alert', (a) => {
    void send({
      type: 'alert',
      index: cfg.index,
      alertType: a.type,
      severity: a.severity,
      message: a.message,
      value: a.value ?? 0,
      at: a.raisedAt,
    });
  });
  monitor.events.on('error', () => undefined);
  await monitor.start();

  const locks = hasFeature(store, 'acquireLock') && hasFeature(store, 'releaseLock');
  const feed = hasFeature(store, 'subscribe');
  let changes = 0;
  const sub = feed
    ? (store as unknown as FeedApi).subscribe(
        `result:${cfg.runId}:*`,
        () => {
          changes++;
        },
        { namespace: NS_RESULTS },
      )
    : null;
  await send({ type: 'ready', index: cfg.index, features: { locks, feed } });
  // Every agent starts at the same moment, once all are open: the parent says when to stop.
  // Ctrl-C (SIGINT to the whole process group, or the parent's `stop`) ends the work early and
  // the agent still reports what it did; so does a parent that went away.
  let stopped = false;
  const deadline = await new Promise<number>((resolve) => {
    const stop = () => {
      stopped = true;
      resolve(0);
    };
    process.on('message', (m: ParentMessage) => {
      if (m.type === 'start') resolve(Number(m.deadline));
      else stop();
    });
    process.on('SIGINT', stop);
    process.once('disconnect', stop);
  });

  const byKind: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  const increments = new Array<number>(cfg.counters).fill(0);
  const guardedUpdates = new Array<number>(cfg.guarded).fill(0);
  const hist = new Array<number>(HIST_BINS).fill(0);
  // HIVEDB_DEMO_TRACE=<dir>: each agent writes its per-operation latencies and its pools' lock
  // and WAL figures there (a diagnostic of where the time goes; not part of the summary).
  const traceDir = process.env.HIVEDB_DEMO_TRACE;
  const histByKind: Record<string, number[]> = {};
  const txHist = new Array<number>(HIST_BINS).fill(0);
  if (traceDir !== undefined)
    storePool.events.on('transaction', (e) => {
      txHist[binOfMs(e.durationMs)]!++;
    });
  let ops = 0;
  let errors = 0;
  let lockWaits = 0;
  let staleTokens = 0;
  let slot = 0;

  const utilization = trackUtilization(storePool);
  const ticker = setInterval(() => {
    const u = utilization.sample();
    void send({
      type: 'tick',
      index: cfg.index,
      ops,
      errors,
      poolPct: u.pct,
      waiting: u.waiting,
      changes,
    });
  }, 500);
  ticker.unref();

  const guardedUpdate = async (i: number): Promise<void> => {
    const key = demoKeys.guarded(cfg.runId, i);
    if (!locks) {
      await store.atomic(key, (cur) => (typeof cur === 'number' ? cur : 0) + 1, {
        namespace: NS_COUNTERS,
        agentId,
        maxAttempts: 50,
      });
      guardedUpdates[i]!++;
      return;
    }
    const api = store as unknown as LockApi;
    const { token } = await api.acquireLock(key, agentId, {
      namespace: NS_COUNTERS,
      ttl: 10_000,
      wait: 2000,
    });
    try {
      const cur = await store.get(key, { namespace: NS_COUNTERS, bypassCache: true });
      const next = (typeof cur === 'number' ? cur : 0) + 1;
      await store.set(key, next, { namespace: NS_COUNTERS, agentId, fencingToken: token } as never);
      guardedUpdates[i]!++;
    } finally {
      await api.releaseLock(key, agentId, { namespace: NS_COUNTERS });
    }
  };

  const started = performance.now();
  let yielded = started;
  while (!stopped && Date.now() < deadline) {
    // Operations served from the cache settle without I/O: a run of them never lets the event
    // loop turn, and the parent's `stop` (or Ctrl-C), ticks and timers would wait for the deadline.
    if (performance.now() - yielded >= YIELD_EVERY_MS) {
      await new Promise<void>((r) => setImmediate(r));
      yielded = performance.now();
    }
    const kind = nextKind();
    const t0 = performance.now();
    try {
      switch (kind) {
        case 'write':
          slot = (slot + 1) % RESULT_SLOTS;
          await store.set(
            demoKeys.result(cfg.runId, cfg.index, slot),
            { agent: agentId, step: ops, score: Math.round(random() * 1000), at: Date.now() },
            { namespace: NS_RESULTS, agentId },
          );
          break;
        case 'read':
          await store.get(demoKeys.result(cfg.runId, pick(cfg.agents), pick(RESULT_SLOTS)), {
            namespace: NS_RESULTS,
            agentId,
          });
          break;
        case 'increment': {
          const i = pick(cfg.counters);
          await store.increment(demoKeys.counter(cfg.runId, i), 1, {
            namespace: NS_COUNTERS,
            agentId,
          });
          increments[i]!++;
          break;
        }
        case 'locked-update':
          await guardedUpdate(pick(cfg.guarded));
          break;
        case 'scan':
          await reader.withConnection((lease) =>
            lease.all(
              'SELECT key, version FROM shared_memory WHERE namespace = ? ORDER BY updated_at DESC LIMIT 10',
              [NS_RESULTS],
            ),
          );
          break;
        case 'list':
          await store.list({
            namespace: NS_RESULTS,
            prefix: `result:${cfg.runId}:agent-${pick(cfg.agents)}:`,
            limit: 10,
          });
          break;
      }
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      ops++;
      const bin = binOfMs(performance.now() - t0);
      hist[bin]!++;
      if (traceDir !== undefined) {
        const h = histByKind[kind] ?? new Array<number>(HIST_BINS).fill(0);
        histByKind[kind] = h;
        h[bin]!++;
      }
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? 'ERROR');
      if (LOCK_CONTENTION.has(code)) lockWaits++;
      else if (code === 'STORE_STALE_TOKEN') staleTokens++;
      else {
        errors++;
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
      }
    }
  }
  const elapsedMs = performance.now() - started;
  clearInterval(ticker);
  if (traceDir !== undefined) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      `${traceDir}/agent-${cfg.index}.json`,
      JSON.stringify({
        index: cfg.index,
        pid: process.pid,
        elapsedMs,
        histByKind: { ...histByKind, '(tx hold)': txHist },
        store: storePool.stats(),
        hive: store.pools().hive?.stats(),
        reader: reader.stats(),
      }),
    );
  }
  sub?.unsubscribe();
  await monitor.stop();
  await reader.close();
  await store.shutdown();
  await send({
    type: 'done',
    index: cfg.index,
    ops,
    errors,
    errorCodes,
    byKind,
    increments,
    guardedUpdates,
    lockWaits,
    staleTokens,
    changes,
    hist,
    elapsedMs,
  });
}

const raw = process.env.HIVEDB_DEMO_AGENT;
if (raw === undefined) {
  process.stderr.write(
    'demo-agent: HIVEDB_DEMO_AGENT is not set (this file is started by `hivedb demo`)\n',
  );
  process.exitCode = 2;
} else {
  const cfg = JSON.parse(raw) as AgentConfig;
  main(cfg).then(
    () => {
      process.disconnect?.();
    },
    async (err: unknown) => {
      await send({
        type: 'failed',
        index: cfg.index,
        message:
          `${(err as { code?: string }).code ?? ''} ${err instanceof Error ? err.message : String(err)}`.trim(),
      });
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
}
