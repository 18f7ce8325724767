import type { EventBus } from '@hivedb/pool';
import { AccessBuffer } from './access-buffer.js';
import type { Refusal, StoreBackend } from './backend.js';
import { StoreError } from './errors.js';
import type { ConflictEvent, StoreEvents } from './events.js';
import type { ResolvedStoreOptions } from './options.js';
import { ReadCache } from './read-cache.js';
import { TransientStore } from './transient-store.js';
import { checkAgentId, checkKey, checkNamespace } from './validate.js';

/** The store's counters, mutable inside the package; `stats()` hands out a copy. */
export interface Counters {
  reads: number;
  writes: number;
  deletes: number;
  conflicts: number;
  sweeps: number;
  expired: number;
}

/**
 * What every operation of an open store shares: its options, its database, the read cache, the
 * transient entries, the access buffer, the event bus and the counters. Operations live in their
 * own files as functions of a context; `SharedMemoryStore` is their public face.
 */
export class StoreContext {
  readonly opts: ResolvedStoreOptions;
  readonly backend: StoreBackend;
  readonly events: EventBus<StoreEvents>;
  readonly cache: ReadCache | null;
  readonly transient = new TransientStore();
  readonly access: AccessBuffer;
  readonly counters: Counters = {
    reads: 0,
    writes: 0,
    deletes: 0,
    conflicts: 0,
    sweeps: 0,
    expired: 0,
  };
  readonly now: () => number;
  /**
   * Moves after every write of this store. A cached entry served under `staleMs` (without asking
   * the database) must have been read in the current epoch: the store's own writes are never
   * hidden by the staleness bound.
   */
  epoch = 0;

  constructor(opts: ResolvedStoreOptions, backend: StoreBackend, events: EventBus<StoreEvents>) {
    this.opts = opts;
    this.backend = backend;
    this.events = events;
    this.now = opts.clock;
    this.cache = opts.cache === null ? null : new ReadCache(opts.cache);
    this.access = new AccessBuffer(
      backend,
      opts,
      (e) => {
        if (events.listening('flush')) events.emit('flush', e);
      },
      (where, error) => this.reportError(where, error),
    );
  }

  namespace(input: unknown): string {
    return input === undefined
      ? this.opts.defaultNamespace
      : checkNamespace(input, this.opts.maxNamespaceLength);
  }

  key(input: unknown): string {
    return checkKey(input, this.opts.maxKeyLength);
  }

  agent(input: unknown): string | undefined {
    return checkAgentId(input);
  }

  /** This store wrote the entry `ck`: its cached copy goes, and the staleness epoch moves. */
  wrote(ck: string | undefined): void {
    this.epoch++;
    if (ck !== undefined && this.cache?.drop(ck) === true) {
      if (this.events.listening('cache')) {
        const i = ck.indexOf('\0');
        this.events.emit('cache', {
          type: 'invalidate',
          namespace: ck.slice(0, i),
          key: ck.slice(i + 1),
          reason: 'write',
        });
      }
    }
  }

  /** A row of `hive.db`'s access log (buffered). */
  log(
    agentId: string | undefined,
    namespace: string,
    key: string,
    accessType: 'read' | 'write' | 'delete',
    startedAt: number,
    success: boolean,
  ): void {
    if (agentId === undefined) return;
    this.access.log({
      agentId,
      memoryKey: `${namespace}:${key}`,
      accessType,
      timestamp: this.now(),
      durationMs: performance.now() - startedAt,
      success,
    });
  }

  /** The error of a refused write or delete; the `conflict` event goes out with it. */
  refused(
    namespace: string,
    key: string,
    refusal: Refusal,
    operation: ConflictEvent['operation'],
    expected: number | null | undefined,
    extra?: { readonly attempt?: number; readonly [k: string]: unknown },
  ): StoreError {
    this.counters.conflicts++;
    if (this.events.listening('conflict')) {
      this.events.emit('conflict', {
        namespace,
        key,
        ...(expected === undefined ? {} : { expected }),
        current: refusal.current,
        operation,
        reason: refusal.reason,
        ...(extra?.attempt === undefined ? {} : { attempt: extra.attempt }),
      });
    }
    const where = `${JSON.stringify(key)} in namespace ${JSON.stringify(namespace)}`;
    const details = { namespace, key, expected, current: refusal.current, ...extra };
    const lockError = lockRefusal(where, refusal, details);
    if (lockError !== undefined) return lockError;
    if (refusal.reason === 'locked') {
      return new StoreError(
        'STORE_LOCKED',
        `${where} is a locked entry (version ${refusal.current}): replace or delete it with \`version\` (compare-and-set), atomic(), or a batch that checks it`,
        { details },
      );
    }
    const found = refusal.current === null ? 'no entry' : `version ${refusal.current}`;
    const message =
      refusal.reason === 'exists'
        ? `${where} already exists (version ${refusal.current})`
        : `${where}: expected ${expected === null ? 'no entry' : `version ${expected}`}, found ${found}`;
    return new StoreError('STORE_VERSION_CONFLICT', message, { details });
  }

  reportError(where: string, error: unknown): void {
    if (this.events.listening('error')) this.events.emit('error', { where, error });
  }
}

/** The error of a write refused by the key's lock (`fencingToken`, `lock: true`), if it was. */
function lockRefusal(
  where: string,
  refusal: Refusal,
  details: Record<string, unknown>,
): StoreError | undefined {
  const lock = refusal.lock;
  if (lock === undefined) return undefined;
  const lockDetails = { ...details, holder: lock.holder, expiresAt: lock.expiresAt };
  switch (refusal.reason) {
    case 'stale-token':
      return new StoreError(
        'STORE_STALE_TOKEN',
        `${where}: fencing token ${refusal.token} is older than the newest issued for the key (${lock.token}); nothing written`,
        { details: { ...lockDetails, token: refusal.token, newest: lock.token } },
      );
    case 'lock-held':
      return new StoreError(
        'STORE_LOCK_HELD',
        `${where}: the key's lock is held by ${JSON.stringify(lock.holder)} until ${lock.expiresAt}; nothing written`,
        { details: lockDetails },
      );
    case 'lock-not-held':
      return new StoreError(
        'STORE_LOCK_NOT_HELD',
        `${where}: a write with lock: true needs the writing agent to hold the key's lock (acquireLock); nothing written`,
        { details: lockDetails },
      );
    default:
      return undefined;
  }
}
