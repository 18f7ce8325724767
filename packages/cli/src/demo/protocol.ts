/** Every namespace the demo writes begins with this; it never reads or writes another. */
export const DEMO_PREFIX = 'demo:';

/** The demo's namespaces: agents' results, and the shared counters. */
export const DEMO_NAMESPACES = Object.freeze({
  results: `${DEMO_PREFIX}task_results`,
  counters: `${DEMO_PREFIX}metrics`,
});

/** Whether `namespace` is one of the demo's own (`demo:…`). */
export function isDemoNamespace(namespace: string): boolean {
  return namespace.startsWith(DEMO_PREFIX);
}

/** What the demo's parent tells an agent process (JSON in `HIVEDB_DEMO_AGENT`). */
export interface AgentConfig {
  readonly index: number;
  readonly agents: number;
  readonly runId: string;
  /** The `.hive-mind` folder. */
  readonly dir: string;
  readonly projectRoot: string;
  readonly sampleRate: number;
  /** Shared counters agents increment (`demo:counter:<runId>:<i>` in namespace `demo:metrics`). */
  readonly counters: number;
  /** Lock-guarded counters (read, add one, write, under a lock with a fencing token). */
  readonly guarded: number;
  readonly seed: number;
}

/** Operations an agent runs; the demo counts each kind. */
export const OP_KINDS = ['write', 'read', 'increment', 'locked-update', 'scan', 'list'] as const;
/** One kind of operation. */
export type OpKind = (typeof OP_KINDS)[number];

/** Latency histogram: bin i holds durations in [2^(i/8), 2^((i+1)/8)) µs; bin 0 everything below 1 µs. */
export const HIST_BINS = 8 * 32;

/** The histogram bin of a duration in ms. */
export function binOfMs(ms: number): number {
  const us = ms * 1000;
  if (!(us >= 1)) return 0;
  return Math.min(HIST_BINS - 1, 1 + Math.floor(Math.log2(us) * 8));
}

/** The upper bound (ms) of a histogram bin. */
export function binUpperMs(bin: number): number {
  return bin === 0 ? 0.001 : 2 ** (bin / 8) / 1000;
}

/**
 * The parent's messages to an agent: `start` now and stop starting operations at `deadline` (ms
 * since the epoch); `stop` at once (Ctrl-C), then report what was done as usual.
 */
export type ParentMessage =
  | { readonly type: 'start'; readonly deadline: number }
  | { readonly type: 'stop' };

/** Messages from an agent to the parent, over the IPC channel. */
export type AgentMessage =
  | {
      readonly type: 'ready';
      readonly index: number;
      readonly features: { readonly locks: boolean; readonly feed: boolean };
    }
  | {
      readonly type: 'tick';
      readonly index: number;
      readonly ops: number;
      readonly errors: number;
      /** % of the agent's reader pool leased, averaged since the last tick. */
      readonly poolPct: number;
      readonly waiting: number;
      readonly changes: number;
    }
  | {
      readonly type: 'alert';
      readonly index: number;
      readonly alertType: string;
      readonly severity: string;
      readonly message: string;
      readonly value: number;
      readonly at: number;
    }
  | {
      readonly type: 'done';
      readonly index: number;
      readonly ops: number;
      readonly errors: number;
      readonly errorCodes: Record<string, number>;
      readonly byKind: Record<string, number>;
      /** Successful increments per shared counter index. */
      readonly increments: number[];
      /** Successful guarded updates per guarded counter index. */
      readonly guardedUpdates: number[];
      readonly lockWaits: number;
      readonly staleTokens: number;
      readonly changes: number;
      readonly hist: number[];
      readonly elapsedMs: number;
    }
  | { readonly type: 'failed'; readonly index: number; readonly message: string };

/** The keys the demo uses. */
export const demoKeys = {
  counter: (runId: string, i: number) => `demo:counter:${runId}:${i}`,
  guarded: (runId: string, i: number) => `demo:guarded:${runId}:${i}`,
  lock: (runId: string, i: number) => `demo:lock:${runId}:${i}`,
  result: (runId: string, agent: number, slot: number) => `result:${runId}:agent-${agent}:${slot}`,
};

/** A small seeded PRNG (mulberry32): the same seed gives the same operations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
