import cliProgress from 'cli-progress';
import type { Output } from './context.js';

/** Reports progress of a long command: a bar on a terminal, a plain line per second otherwise. */
export interface Progress {
  /** Sets the total when it becomes known. */
  total(n: number): void;
  /** Sets the amount done. */
  update(done: number): void;
  /** Ends the bar (and prints a final plain line). Idempotent. */
  stop(): void;
}

/**
 * A progress reporter on stderr for `label`. Silent with `--json` (stdout stays one document);
 * `cli-progress`'s bar on a TTY; otherwise `label: done/total` at most once per `intervalMs`.
 */
export function createProgress(
  out: Output,
  label: string,
  options: { quiet?: boolean; unit?: string; intervalMs?: number } = {},
): Progress {
  if (options.quiet === true) return { total() {}, update() {}, stop() {} };
  const unit = options.unit ?? '';
  let total = 0;
  let done = 0;
  let stopped = false;
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total}${unit ? ` ${unit}` : ''}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0);
    return {
      total(n) {
        total = n;
        bar.setTotal(Math.max(1, n));
      },
      update(d) {
        done = d;
        bar.update(d);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.update(total > 0 ? total : done);
        bar.stop();
      },
    };
  }
  const interval = options.intervalMs ?? 1000;
  let last = 0;
  const line = () => `${label}: ${done}${total > 0 ? `/${total}` : ''}${unit ? ` ${unit}` : ''}\n`;
  return {
    total(n) {
      total = n;
    },
    update(d) {
      done = d;
      const now = Date.now();
      if (now - last >= interval) {
        last = now;
        out.error(line());
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (total > 0) done = Math.max(done, total);
      out.error(`${line().trimEnd()} done\n`);
    },
  };
}
