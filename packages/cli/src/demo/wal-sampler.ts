import { statSync } from 'node:fs';

/** How often the demo samples the WAL files (ms). */
export const WAL_SAMPLE_MS = 100;

/** The largest size each WAL file reached, and how many samples were taken. */
export interface WalPeaks {
  readonly memoryMaxBytes: number;
  readonly hiveMaxBytes: number;
  readonly samples: number;
}

/**
 * Samples the sizes of `memory.db-wal` and `hive.db-wal` every {@link WAL_SAMPLE_MS} while the
 * swarm runs. It keeps the largest of each, and hands the largest of each second to `onSecond`
 * (the report plots them). A missing file counts as 0 bytes. The timer is unref'd.
 */
export class WalSampler {
  readonly #files: { readonly memory: string; readonly hive: string };
  readonly #onSecond: (at: number, memoryBytes: number, hiveBytes: number) => void;
  readonly #timer: NodeJS.Timeout;
  #memoryMax = 0;
  #hiveMax = 0;
  #samples = 0;
  #second = { at: 0, memory: 0, hive: 0 };

  constructor(
    files: { readonly memory: string; readonly hive: string },
    onSecond: (at: number, memoryBytes: number, hiveBytes: number) => void,
  ) {
    this.#files = files;
    this.#onSecond = onSecond;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), WAL_SAMPLE_MS);
    this.#timer.unref();
  }

  #sample(): void {
    const now = Date.now();
    const memory = sizeOf(`${this.#files.memory}-wal`);
    const hive = sizeOf(`${this.#files.hive}-wal`);
    this.#samples++;
    this.#memoryMax = Math.max(this.#memoryMax, memory);
    this.#hiveMax = Math.max(this.#hiveMax, hive);
    const s = this.#second;
    if (s.at !== 0 && now - s.at >= 1000) this.#flushSecond();
    if (s.at === 0) s.at = now;
    s.memory = Math.max(s.memory, memory);
    s.hive = Math.max(s.hive, hive);
  }

  #flushSecond(): void {
    const s = this.#second;
    if (s.at !== 0) this.#onSecond(s.at, s.memory, s.hive);
    this.#second = { at: 0, memory: 0, hive: 0 };
  }

  /** Stops sampling (after one last sample) and returns the peaks. */
  stop(): WalPeaks {
    clearInterval(this.#timer);
    this.#sample();
    this.#flushSecond();
    return { memoryMaxBytes: this.#memoryMax, hiveMaxBytes: this.#hiveMax, samples: this.#samples };
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
