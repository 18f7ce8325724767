import type { Alert, AlertType } from './events.js';
import { MonitorError } from './errors.js';

/** One condition as a monitoring cycle measured it. */
export interface Condition {
  readonly type: AlertType;
  readonly source: string;
  readonly value: number;
  readonly threshold: number;
  /** The condition holds: raise (unless active, or cooling down). */
  readonly raise: boolean;
  /** The condition has cleared past the hysteresis band: resolve if active. */
  readonly clear: boolean;
  readonly severity: 'warning' | 'critical';
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

type MutableAlert = { -readonly [K in keyof Alert]: Alert[K] } & { key: string; manual: boolean };

const RECENT = 100;

/**
 * Alerts with hysteresis and cooldown: an active alert is never raised again while its condition
 * holds (it is updated in place); it resolves only when the value falls below the clear level;
 * once resolved, the same alert (type and source) is not raised again until `cooldownMs` passed.
 */
export class AlertManager {
  readonly #active = new Map<string, MutableAlert>();
  readonly #byId = new Map<string, MutableAlert>();
  readonly #recent: MutableAlert[] = [];
  readonly #resolvedAt = new Map<string, number>();
  readonly #cooldownMs: number;
  readonly #emit: (event: 'alert' | 'alert:resolved', alert: Alert) => void;
  #next = 1;

  constructor(cooldownMs: number, emit: (event: 'alert' | 'alert:resolved', alert: Alert) => void) {
    this.#cooldownMs = cooldownMs;
    this.#emit = emit;
  }

  /** Applies one measured condition at `now`. */
  observe(now: number, c: Condition): void {
    const key = `${c.type}\u0000${c.source}`;
    const active = this.#active.get(key);
    if (active !== undefined) {
      active.value = c.value;
      active.updatedAt = now;
      active.details = c.details;
      if (c.clear) {
        this.#resolve(active, now);
        return;
      }
      if (c.severity === 'critical') active.severity = 'critical';
      return;
    }
    if (!c.raise) return;
    const resolvedAt = this.#resolvedAt.get(key);
    if (resolvedAt !== undefined && now - resolvedAt < this.#cooldownMs) return;
    this.#raise(key, now, c, false);
  }

  /** A caller's alert: active until `resolve(id)`; raising the same type and source again updates it. */
  raiseManual(
    now: number,
    type: string,
    source: string,
    fields: {
      severity: 'warning' | 'critical';
      message: string;
      value?: number;
      threshold?: number;
    },
    details: Readonly<Record<string, unknown>>,
  ): Alert {
    const key = `${type}\u0000${source}`;
    const active = this.#active.get(key);
    if (active !== undefined) {
      active.updatedAt = now;
      active.details = details;
      active.message = fields.message;
      if (fields.value !== undefined) active.value = fields.value;
      return snapshot(active);
    }
    return this.#raise(
      key,
      now,
      {
        type,
        source,
        value: fields.value ?? Number.NaN,
        threshold: fields.threshold ?? Number.NaN,
        raise: true,
        clear: false,
        severity: fields.severity,
        message: fields.message,
        details,
      },
      true,
    );
  }

  acknowledge(id: string, now: number): Alert {
    const a = this.#find(id);
    a.acknowledgedAt ??= now;
    return snapshot(a);
  }

  resolve(id: string, now: number): Alert {
    const a = this.#find(id);
    if (a.state === 'active') this.#resolve(a, now);
    return snapshot(a);
  }

  active(): Alert[] {
    return [...this.#active.values()].map(snapshot);
  }

  /** Resolved alerts, most recent last (the last 100). */
  recent(): Alert[] {
    return this.#recent.map(snapshot);
  }

  #find(id: string): MutableAlert {
    const a = this.#byId.get(id);
    if (a === undefined)
      throw new MonitorError(
        'MONITOR_UNKNOWN_ALERT',
        `no alert with id ${JSON.stringify(id)} (it may be older than the last ${RECENT} resolved)`,
        {
          details: { id },
        },
      );
    return a;
  }

  #raise(key: string, now: number, c: Condition, manual: boolean): Alert {
    const a: MutableAlert = {
      id: `alert-${this.#next++}`,
      key,
      manual,
      type: c.type,
      severity: c.severity,
      source: c.source,
      message: c.message,
      value: Number.isNaN(c.value) ? undefined : c.value,
      threshold: Number.isNaN(c.threshold) ? undefined : c.threshold,
      details: c.details,
      raisedAt: now,
      updatedAt: now,
      resolvedAt: undefined,
      acknowledgedAt: undefined,
      state: 'active',
    };
    this.#active.set(key, a);
    this.#byId.set(a.id, a);
    const out = snapshot(a);
    this.#emit('alert', out);
    return out;
  }

  #resolve(a: MutableAlert, now: number): void {
    a.state = 'resolved';
    a.resolvedAt = now;
    this.#active.delete(a.key);
    if (!a.manual) this.#resolvedAt.set(a.key, now);
    this.#recent.push(a);
    if (this.#recent.length > RECENT) {
      const old = this.#recent.shift()!;
      this.#byId.delete(old.id);
    }
    this.#emit('alert:resolved', snapshot(a));
  }
}

function snapshot(a: MutableAlert): Alert {
  return Object.freeze({
    id: a.id,
    type: a.type,
    severity: a.severity,
    source: a.source,
    message: a.message,
    value: a.value,
    threshold: a.threshold,
    details: a.details,
    raisedAt: a.raisedAt,
    updatedAt: a.updatedAt,
    resolvedAt: a.resolvedAt,
    acknowledgedAt: a.acknowledgedAt,
    state: a.state,
  });
}
