/**
 * The process's checkpointer: one worker thread (`checkpointer-worker.ts`) for every pool of the
 * process that registers a database. Pools register when they open in `'coordinated'` mode and
 * release at `close()`; the thread starts with the first registration and is stopped (its
 * elections given up, its connections closed) when the last one is released. It is unref'd:
 * a process whose pools were never closed still exits, and the kernel frees its election lock.
 * A thread that dies is started again after a pause, with every database registered again.
 */
import { Worker } from 'node:worker_threads';
import { workerFile } from '../worker-file.js';
import type {
  CheckpointerErrorReport,
  CheckpointSettings,
  FromCheckpointer,
  RestartReport,
  ToCheckpointer,
  WalReport,
} from './checkpoint-protocol.js';

/** What a pool hears from the checkpointer about its database. */
export interface CheckpointSink {
  restart(report: RestartReport): void;
  wal(report: WalReport): void;
  error(report: CheckpointerErrorReport): void;
}

/** A pool's registration; `release()` is idempotent and resolves once the thread let go. */
export interface CheckpointRegistration {
  release(): Promise<void>;
}

/** How long a stopping thread may take to give up its locks before it is terminated (ms). */
const STOP_TIMEOUT_MS = 2000;
/** Pause before a crashed thread is started again (ms); doubles per crash in a row, to 30 s. */
const RESTART_PAUSE_MS = 500;

interface Entry {
  readonly settings: CheckpointSettings;
  readonly sinks: Set<CheckpointSink>;
}

class CheckpointerService {
  readonly #files = new Map<string, Entry>();
  #worker: Worker | undefined;
  #crashes = 0;
  #restartTimer: NodeJS.Timeout | undefined;

  register(
    file: string,
    settings: CheckpointSettings,
    sink: CheckpointSink,
  ): CheckpointRegistration {
    let entry = this.#files.get(file);
    if (entry === undefined) {
      entry = { settings, sinks: new Set() };
      this.#files.set(file, entry);
    }
    entry.sinks.add(sink);
    this.#post({ type: 'add', file, settings: entry.settings });
    let released: Promise<void> | undefined;
    return {
      release: () => {
        released ??= this.#release(file, sink);
        return released;
      },
    };
  }

  async #release(file: string, sink: CheckpointSink): Promise<void> {
    const entry = this.#files.get(file);
    if (entry === undefined || !entry.sinks.delete(sink)) return;
    if (entry.sinks.size === 0) this.#files.delete(file);
    const worker = this.#worker;
    if (worker === undefined) return;
    worker.postMessage({ type: 'remove', file } satisfies ToCheckpointer);
    if (this.#files.size > 0) return;
    // The last database left: stop the thread and wait until it has given up its locks.
    this.#worker = undefined;
    await stopWorker(worker);
  }

  #post(msg: ToCheckpointer): void {
    if (this.#restartTimer !== undefined) return; // re-registered when the thread starts again
    this.#worker ??= this.#start();
    this.#worker.postMessage(msg);
  }

  #start(): Worker {
    const worker = new Worker(workerFile('checkpointer-worker'));
    worker.on('message', (msg: FromCheckpointer) => this.#dispatch(msg));
    worker.on('error', (err) => this.#crashed(worker, err));
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#crashed(worker, new Error(`exited with code ${code}`));
    });
    // After the listeners: in Node 20 adding a 'message' listener re-refs an unref'd worker.
    worker.unref();
    return worker;
  }

  #dispatch(msg: FromCheckpointer): void {
    if (msg.type === 'stopped') return;
    if (msg.type !== 'error') this.#crashes = 0;
    const targets =
      msg.type === 'error' && msg.file === null
        ? [...this.#files.values()].flatMap((e) => [...e.sinks])
        : [...(this.#files.get(msg.file!)?.sinks ?? [])];
    for (const sink of targets) {
      if (msg.type === 'restart') sink.restart(msg);
      else if (msg.type === 'wal') sink.wal(msg);
      else sink.error(msg);
    }
  }

  #crashed(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    void worker.terminate();
    const report: CheckpointerErrorReport = {
      type: 'error',
      file: null,
      where: 'checkpointer thread',
      message: `the checkpointer thread stopped (${err.message}); it is started again`,
    };
    this.#dispatch(report);
    const pause = Math.min(RESTART_PAUSE_MS * 2 ** this.#crashes++, 30_000);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      for (const [file, entry] of this.#files) {
        for (let i = 0; i < entry.sinks.size; i++)
          this.#post({ type: 'add', file, settings: entry.settings });
      }
    }, pause);
    this.#restartTimer.unref();
  }
}

function stopWorker(worker: Worker): Promise<void> {
  // Referenced while it stops: a caller awaits this (a pool's close()), and an unref'd worker
  // and timer would let the process end with that promise unsettled.
  worker.ref();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void worker.terminate().then(() => resolve());
    }, STOP_TIMEOUT_MS);
    timer.unref();
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage({ type: 'stop' } satisfies ToCheckpointer);
  });
}

let service: CheckpointerService | undefined;

/**
 * Registers `file` with this process's checkpointer thread (started on first use). `sink` hears
 * the RESTART attempts this process makes on the file, a summary every second, and failures.
 */
export function registerCheckpointer(
  file: string,
  settings: CheckpointSettings,
  sink: CheckpointSink,
): CheckpointRegistration {
  service ??= new CheckpointerService();
  return service.register(file, settings, sink);
}
