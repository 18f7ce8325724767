// Model-based property test: random sequences of store operations (set, get, delete, increment,
// touch, expiry by moving the injected clock, restart) against a plain Map; the store and the
// model must agree after every step. Seeded: the seed and the number of runs are printed.
import type { SharedMemoryStore } from '@hivedb/store';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempDir, type ManualClock, manualClock, openTestStore } from '../src/index.js';

const SEED = 20261129;
const NUM_RUNS = 120;
const MAX_COMMANDS = 40;

const KEYS = ['a', 'b', "c'; DROP TABLE shared_memory; --", '%'] as const;
const NAMESPACES = ['n1', 'n2'] as const;

interface ModelEntry {
  value: unknown;
  version: number;
  expiresAt: number | null;
}

interface Model {
  readonly clock: ManualClock;
  readonly entries: Map<string, ModelEntry>;
}

interface Real {
  store: SharedMemoryStore;
  readonly root: string;
  readonly clock: ManualClock;
}

const id = (ns: string, key: string) => `${ns}\u0000${key}`;

function live(model: Model, ns: string, key: string): ModelEntry | undefined {
  const e = model.entries.get(id(ns, key));
  if (e === undefined) return undefined;
  if (e.expiresAt !== null && e.expiresAt <= model.clock.now()) {
    model.entries.delete(id(ns, key));
    return undefined;
  }
  return e;
}

/** Every key of every namespace: the store and the model agree on value, version and expiry. */
async function agree(model: Model, real: Real): Promise<void> {
  for (const ns of NAMESPACES) {
    const expectedKeys: string[] = [];
    for (const key of KEYS) {
      const m = live(model, ns, key);
      const got = (await real.store.get(key, { namespace: ns, includeMetadata: true })) as {
        value: unknown;
        found: boolean;
        metadata: { version: number; expiresAt: number | null } | null;
      };
      expect(got.found, `${ns}/${key} found`).toBe(m !== undefined);
      if (m) {
        expectedKeys.push(key);
        expect(got.value, `${ns}/${key} value`).toEqual(m.value);
        expect(got.metadata?.version, `${ns}/${key} version`).toBe(m.version);
        expect(got.metadata?.expiresAt, `${ns}/${key} expiresAt`).toBe(m.expiresAt);
      }
    }
    expect(await real.store.count({ namespace: ns })).toBe(expectedKeys.length);
    expect([...(await real.store.keys({ namespace: ns }))].sort()).toEqual(expectedKeys.sort());
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

class SetCmd implements Cmd {
  constructor(
    readonly ns: string,
    readonly key: string,
    readonly value: unknown,
    readonly ttl: number | undefined,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const prev = live(model, this.ns, this.key);
    const res = await real.store.set(this.key, this.value, {
      namespace: this.ns,
      ...(this.ttl === undefined ? {} : { ttl: this.ttl }),
    });
    const entry = {
      value: this.value,
      version: (prev?.version ?? 0) + 1,
      expiresAt: this.ttl === undefined ? null : model.clock.now() + this.ttl,
    };
    model.entries.set(id(this.ns, this.key), entry);
    expect(res.version).toBe(entry.version);
    await agree(model, real);
  }
  toString = () => `set(${this.ns}/${this.key}, ${JSON.stringify(this.value)}, ttl ${this.ttl})`;
}

class DeleteCmd implements Cmd {
  constructor(
    readonly ns: string,
    readonly key: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const existed = live(model, this.ns, this.key) !== undefined;
    model.entries.delete(id(this.ns, this.key));
    expect(await real.store.delete(this.key, { namespace: this.ns })).toBe(existed);
    await agree(model, real);
  }
  toString = () => `delete(${this.ns}/${this.key})`;
}

class IncrementCmd implements Cmd {
  constructor(
    readonly ns: string,
    readonly key: string,
    readonly by: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const prev = live(model, this.ns, this.key);
    const call = real.store.increment(this.key, this.by, { namespace: this.ns });
    if (prev !== undefined && !Number.isSafeInteger(prev.value)) {
      await expect(call).rejects.toMatchObject({ code: 'STORE_NOT_A_NUMBER' });
    } else {
      const next = ((prev?.value as number | undefined) ?? 0) + this.by;
      expect(await call).toBe(next);
      model.entries.set(id(this.ns, this.key), {
        value: next,
        version: (prev?.version ?? 0) + 1,
        expiresAt: prev?.expiresAt ?? null,
      });
    }
    await agree(model, real);
  }
  toString = () => `increment(${this.ns}/${this.key}, ${this.by})`;
}

class TouchCmd implements Cmd {
  constructor(
    readonly ns: string,
    readonly key: string,
    readonly ttl: number | null,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const prev = live(model, this.ns, this.key);
    const res = await real.store.touch(this.key, this.ttl, { namespace: this.ns });
    expect(res.found).toBe(prev !== undefined);
    if (prev) prev.expiresAt = this.ttl === null ? null : model.clock.now() + this.ttl;
    await agree(model, real);
  }
  toString = () => `touch(${this.ns}/${this.key}, ${this.ttl})`;
}

class AdvanceCmd implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    model.clock.advance(this.ms); // one clock: the model's and the store's
    await agree(model, real);
  }
  toString = () => `advance(${this.ms})`;
}

class RestartCmd implements Cmd {
  check = () => true;
  async run(model: Model, real: Real) {
    await real.store.shutdown();
    real.store = await openTestStore(real.root, { clock: real.clock.now, flushInterval: 0 });
    await agree(model, real);
  }
  toString = () => 'restart';
}

const ns = fc.constantFrom(...NAMESPACES);
const key = fc.constantFrom(...KEYS);
const ttl = fc.integer({ min: 1, max: 5000 });
const value = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.string({ maxLength: 12 }),
  fc.record({ x: fc.integer(), s: fc.string({ maxLength: 6 }) }),
  fc.constant(null),
  fc.array(fc.boolean(), { maxLength: 3 }),
);
const commands = [
  fc
    .tuple(ns, key, value, fc.option(ttl, { nil: undefined }))
    .map(([n, k, v, t]) => new SetCmd(n, k, v, t)),
  fc.tuple(ns, key).map(([n, k]) => new DeleteCmd(n, k)),
  fc
    .tuple(ns, key, fc.integer({ min: -50, max: 50 }))
    .map(([n, k, b]) => new IncrementCmd(n, k, b)),
  fc.tuple(ns, key, fc.option(ttl, { nil: null })).map(([n, k, t]) => new TouchCmd(n, k, t)),
  fc.integer({ min: 0, max: 3000 }).map((ms) => new AdvanceCmd(ms)),
  fc.constant(new RestartCmd()),
];

describe('store vs. an in-memory model (fast-check)', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterAll(() => {
    for (const d of dirs) d.remove();
  });

  it(`agrees at every step (seed ${SEED}, ${NUM_RUNS} runs of up to ${MAX_COMMANDS} commands)`, async () => {
    console.log(`property test: seed ${SEED}, numRuns ${NUM_RUNS}, maxCommands ${MAX_COMMANDS}`);
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: MAX_COMMANDS }), async (cmds) => {
        const dir = createTempDir('hivedb-property-');
        dirs.push(dir);
        const clock = manualClock();
        const real: Real = {
          root: dir.path,
          clock,
          store: await openTestStore(dir.path, { clock: clock.now, flushInterval: 0 }),
        };
        try {
          await fc.asyncModelRun(() => ({ model: { clock, entries: new Map() }, real }), cmds);
        } finally {
          await real.store.shutdown();
          dir.remove();
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS, endOnFailure: false },
    );
  }, 240_000);
});
