import { readdirSync } from 'node:fs';

/** Open file descriptors of this process (Linux: `/proc/self/fd`); `null` where there is none. */
export function countOpenFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/**
 * Resident set size in bytes, after a full GC when `global.gc` is exposed (`--expose-gc`), and
 * after letting pending finalizers run either way.
 */
export async function rssAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
}
