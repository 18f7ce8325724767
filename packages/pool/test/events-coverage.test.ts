import { describe, expect, it } from 'vitest';
import type { AcquireTimeoutEvent, HealthEvent, QueryEvent } from '../src/index.js';
import { useSandbox } from './helpers/index.js';

const sb = useSandbox();

// What a monitor needs that is not a statement that ran: it sees the system only through events.
describe('events for calls that never reach a statement', () => {
  it('a statement that does not prepare is a failed query event (connectionId 0), counted as an error', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'ev.db' });
    const events: QueryEvent[] = [];
    pool.events.on('query', (e) => events.push(e));
    await expect(pool.get('SELEC nonsense')).rejects.toMatchObject({ code: 'POOL_SQLITE_ERROR' });
    await expect(pool.run('INSERT INTO missing VALUES (1)')).rejects.toMatchObject({
      code: 'POOL_SQLITE_ERROR',
    });
    expect(events.map((e) => [e.kind, e.connectionId, e.error?.code])).toEqual([
      ['read', 0, 'POOL_SQLITE_ERROR'],
      ['write', 0, 'POOL_SQLITE_ERROR'],
    ]);
    expect(pool.stats().counters.errors).toBe(2);
    // Every query payload has the same keys, whether it failed or not.
    await pool.get('SELECT 1 AS one');
    expect(Object.keys(events[2]!).sort()).toEqual(Object.keys(events[0]!).sort());
  });

  it('an acquire that times out is an acquire:timeout event', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'ev.db', maxConnections: 2 });
    const timeouts: AcquireTimeoutEvent[] = [];
    pool.events.on('acquire:timeout', (e) => timeouts.push(e));
    const lease = await pool.acquire();
    await expect(pool.acquire({ timeoutMs: 50 })).rejects.toMatchObject({
      code: 'POOL_ACQUIRE_TIMEOUT',
    });
    lease.release();
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]!.mode).toBe('read');
    expect(timeouts[0]!.waitedMs).toBeGreaterThanOrEqual(40);
  });

  it('health events carry max and waiting, so utilisation is leased / max', async () => {
    const s = sb();
    const pool = s.pool({ filename: 'ev.db', maxConnections: 4 });
    const health: HealthEvent[] = [];
    pool.events.on('health', (e) => health.push(e));
    await pool.checkHealth();
    expect(health[0]).toMatchObject({ max: 4, waiting: 0 });
  });
});
