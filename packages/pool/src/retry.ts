import type { ResolvedPoolOptions } from './options.js';

/**
 * The delay before retry number `attempt` (1-based): exponential backoff with full jitter, a
 * random delay below `min(maxDelay, initial · 2^(attempt-1))`, so that processes contending for
 * the write lock spread out instead of colliding again in step.
 */
export function backoffDelay(attempt: number, retry: ResolvedPoolOptions['retry']): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(Math.random() * (ceiling + 1));
}

/** Whether another attempt is allowed after `attempt` attempts that began at `startedAt`. */
export function mayRetry(
  attempt: number,
  startedAt: number,
  retry: ResolvedPoolOptions['retry'],
): boolean {
  return attempt <= retry.maxRetries && Date.now() - startedAt < retry.maxElapsedMs;
}

/**
 * Waits `ms`. This timer is deliberately not unref'd: it is the only thing driving a unit of work
 * that a caller is awaiting, and it is always short and always ends; unref'ing it would let the
 * process exit with that caller's promise unsettled.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
