import { describe, expect, it } from 'vitest';
import { EventBus, type ListenerErrorPayload } from '../src/index.js';

interface Events {
  tick: { n: number };
}

describe('EventBus', () => {
  it('once fires once; off removes on and once listeners', () => {
    const bus = new EventBus<Events>();
    const seen: string[] = [];
    const a = (e: { n: number }) => seen.push(`a${e.n}`);
    const b = (e: { n: number }) => seen.push(`b${e.n}`);
    bus.on('tick', a);
    bus.once('tick', b);
    bus.emit('tick', { n: 1 });
    bus.emit('tick', { n: 2 });
    expect(seen).toEqual(['a1', 'b1', 'a2']);
    bus.once('tick', b);
    bus.off('tick', b);
    bus.off('tick', a);
    bus.emit('tick', { n: 3 });
    expect(seen).toEqual(['a1', 'b1', 'a2']);
    expect(bus.listening('tick')).toBe(false);
  });

  it('a throwing listener neither fails the emitter nor starves the next; its error is on listener:error', () => {
    const bus = new EventBus<Events>();
    const errors: ListenerErrorPayload[] = [];
    const seen: number[] = [];
    bus.on('listener:error', (e) => errors.push(e));
    bus.on('tick', () => {
      throw new Error('boom');
    });
    bus.on('tick', (e) => seen.push(e.n));
    expect(() => bus.emit('tick', { n: 7 })).not.toThrow();
    expect(seen).toEqual([7]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.event).toBe('tick');
    expect((errors[0]!.error as Error).message).toBe('boom');
  });

  it('a throwing listener:error listener ends in one process warning, not a loop', async () => {
    const bus = new EventBus<Events>();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      bus.on('listener:error', () => {
        throw new Error('error listener broke');
      });
      bus.on('tick', () => {
        throw new Error('boom');
      });
      bus.emit('tick', { n: 1 });
      bus.emit('tick', { n: 2 });
      await new Promise((r) => setImmediate(r));
      expect(
        warnings.filter((w) => (w as { code?: string }).code === 'HIVEDB_LISTENER_ERROR'),
      ).toHaveLength(1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('flag(event).on follows on, once, off and removeAllListeners', () => {
    const bus = new EventBus<{ tick: { n: number }; tock: { n: number } }>();
    const flag = bus.flag('tick');
    expect(flag.on).toBe(false);
    const a = () => {};
    const b = () => {};
    bus.on('tick', a).on('tick', a);
    expect(flag.on).toBe(true);
    expect(bus.flag('tock').on).toBe(false);
    bus.off('tick', a);
    expect(flag.on).toBe(false);
    bus.once('tick', b);
    expect(flag.on && bus.listening('tick')).toBe(true);
    bus.emit('tick', { n: 1 });
    expect(flag.on || bus.listening('tick')).toBe(false);
    bus.once('tick', b);
    bus.off('tick', b);
    expect(flag.on).toBe(false);
    bus.on('tick', a);
    bus.removeAllListeners();
    expect(flag.on).toBe(false);
    bus.on('tick', b);
    expect(bus.flag('tick')).toBe(flag);
    expect(flag.on).toBe(true);
  });
});
