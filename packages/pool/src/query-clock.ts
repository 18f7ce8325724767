/**
 * A coarse clock that costs a few nanoseconds to read: a helper thread writes the time into a
 * SharedArrayBuffer every TICK_MS while statements run. The pool's sampled query timing
 * (`query:batch`) reads it around the statements it does not time with `performance.now()`
 * (about 60 ns a read here), so that it still tells every statement of NOTABLE_MS or more from
 * the rest.
 *
 * `coarse` is the clock's view while it can be trusted, else null: [0] the tick count k (-k
 * while the thread is parked after tick k, below), [1] the tick count at the last statement's start, [2] the
 * latest tick's time, then the time of tick k at [4 + k % RING] (in this thread's `performance.now()` terms). A
 * reader takes k0 = coarse[0] and c0 = its time before a statement; after it, a different count
 * k1 means ticks happened, and the statement started after c0 and before tick k0 + 1: it ran at
 * least `now - time(k0 + 1)` and at most `now - c0`.
 *
 * Why 50 ms: a wakeup costs some 30 µs of CPU on these machines, and each one preempts whatever
 * runs: the 24-process demo lost a third of its throughput with a 1 ms tick, a tenth with 10 ms,
 * nothing measurable with 50 ms.
 *
 * Parking: a thread ticking for nothing is still not free. After PARK_TICKS ticks with no statement started, the thread writes -k and
 * sleeps until a reader sees a negative count, times that statement with `performance.now()`
 * and wakes it (`wakeClock`). An idle process costs nothing.
 *
 * Readers use plain reads, not Atomics (an Atomics.load costs as much as the rest of a point
 * read's bookkeeping). The thread writes a tick's time before its count, and aligned float64
 * reads do not tear on the 64-bit CPUs Node supports; a weakly ordered CPU may show a count
 * before its time, which can only make a statement look longer by a tick, never hide a long one.
 *
 * One thread serves every pool of the process, started by the first pool that needs it and
 * stopped (it ends itself) when the last lets go. It is unref'd, so it never keeps a process
 * alive, and it runs no SQLite, so nothing is torn down inside a statement.
 */
import { Worker } from 'node:worker_threads';

/** Tick times kept (more than a statement of RING ticks is measured from its first tick). */
export const RING = 1024;
/** The helper thread's tick, in ms. */
export const TICK_MS = 50;
/** Ticks without a statement started after which the thread parks. */
export const PARK_TICKS = 4;
/** Where a reader records the tick count at a statement's start (see Parking). */
export const ACTIVITY = 1;
/** The latest tick's time (beside the count, in one cache line with it). */
export const LAST_TICK = 2;
/** Where tick k's time is: view[RING_BASE + k % RING]. */
export const RING_BASE = 4;

// performance.now() and process.hrtime() read the same monotonic clock (libuv's), from each
// thread's own origin: the helper thread converts its times to this thread's performance.now().
const ORIGIN_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();

// ctl[0]: stop; ctl[1]: wake (a reader sets it to 1 and notifies while the thread is parked).
const TICKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const ctl = new Int32Array(workerData.sab, 0, 2);
const view = new Float64Array(workerData.sab, 8, ${RING_BASE + RING});
const origin = Number(process.hrtime.bigint()) / 1e6 - performance.now() - workerData.origin;
let k = 0;
while (Atomics.load(ctl, 0) === 0) {
  k++;
  const now = performance.now() + origin;
  view[${RING_BASE} + (k % ${RING})] = now;
  view[${LAST_TICK}] = now;
  view[0] = k;
  if (k === 1) parentPort.postMessage('live');
  if (k - view[${ACTIVITY}] > ${PARK_TICKS}) {
    // Nothing started for a while: park until a reader wakes the thread (or it is stopped).
    Atomics.store(ctl, 1, 0);
    view[0] = -k;
    Atomics.wait(ctl, 1, 0);
    view[${ACTIVITY}] = k + 1;
    continue;
  }
  Atomics.wait(ctl, 0, 0, ${TICK_MS});
}
`;

/** The clock's view while it ticks and can be trusted; null otherwise (time exactly instead). */
export let coarse: Float64Array | null = null;

let holders = 0;
let running: { worker: Worker; view: Float64Array; ctl: Int32Array } | undefined;

/** Starts the thread on first use; pair with `releaseClock`. */
export function retainClock(): void {
  holders++;
  if (running !== undefined) return;
  const sab = new SharedArrayBuffer(8 + 8 * (RING_BASE + RING));
  const view = new Float64Array(sab, 8, RING_BASE + RING);
  const ctl = new Int32Array(sab, 0, 2);
  const worker = new Worker(TICKER_SOURCE, { eval: true, workerData: { sab, origin: ORIGIN_MS } });
  const me = { worker, view, ctl };
  running = me;
  worker.on('message', () => {
    if (running === me) coarse = view;
  });
  const ended = () => {
    if (running !== me) return;
    running = undefined;
    coarse = null;
  };
  worker.on('error', ended);
  worker.on('exit', ended);
  // After the listeners: in Node 20 adding a 'message' listener re-refs an unref'd worker's port
  // (nodejs/node#53036), which would keep the process alive.
  worker.unref();
}

/** Lets go of the clock; the thread stops when nobody holds it. */
export function releaseClock(): void {
  if (holders === 0 || --holders > 0) return;
  const r = running;
  running = undefined;
  coarse = null;
  if (r === undefined) return;
  Atomics.store(r.ctl, 0, 1);
  Atomics.notify(r.ctl, 0);
  // A parked thread waits on the wake flag.
  Atomics.store(r.ctl, 1, 1);
  Atomics.notify(r.ctl, 1);
}

/** Wakes a parked thread (a reader saw a negative count); that statement is timed exactly. */
export function wakeClock(): void {
  const r = running;
  if (r !== undefined && Atomics.compareExchange(r.ctl, 1, 0, 1) === 0) Atomics.notify(r.ctl, 1);
}

/**
 * Trusts the clock only while its last tick is less than `maxAgeMs` old (a thread starved or
 * gone sends readers back to exact timing), and again once it ticks on time.
 */
export function checkClock(maxAgeMs: number): void {
  const r = running;
  if (r === undefined) return;
  const k = r.view[0]!;
  // Not ticked yet (its first message makes it live), or parked (readers wake it).
  if (k <= 0) return;
  coarse = performance.now() - r.view[RING_BASE + (k % RING)]! < maxAgeMs ? r.view : null;
}

/** How many pools hold the clock, whether it is trusted now, and whether it is parked (for tests). */
export function clockState(): {
  holders: number;
  running: boolean;
  live: boolean;
  parked: boolean;
} {
  return {
    holders,
    running: running !== undefined,
    live: coarse !== null,
    parked: running !== undefined && running.view[0]! < 0,
  };
}
