import { expect } from 'vitest';

/** The fields of a `HiveDbError` that tests look at. */
export interface CodedError extends Error {
  readonly code: string;
  readonly sqliteCode?: string;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves at the next turn of the event loop (ends the current macrotask). */
export const nextMacrotask = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs `fn`, which must throw a `HiveDbError` with `code`; returns the error. */
export function expectThrowCode(fn: () => unknown, code: string): CodedError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a thrown ${code}`).toBeInstanceOf(Error);
  expect((caught as CodedError).name).toBe('HiveDbError');
  expect((caught as CodedError).code).toBe(code);
  return caught as CodedError;
}

/** Awaits `promise`, which must reject with a `HiveDbError` with `code`; returns the error. */
export async function expectRejectCode(
  promise: Promise<unknown>,
  code: string,
): Promise<CodedError> {
  const caught = await promise.then(
    (value) => {
      throw new Error(
        `expected a rejection with ${code}, got a value: ${String(JSON.stringify(value))}`,
      );
    },
    (err: unknown) => err,
  );
  expect(caught, `expected a rejection with ${code}`).toBeInstanceOf(Error);
  expect((caught as CodedError).name).toBe('HiveDbError');
  expect((caught as CodedError).code, (caught as Error).message).toBe(code);
  return caught as CodedError;
}

/** Awaits `promise`, which must reject; returns what it rejected with (any code). */
export async function rejectionOf(promise: Promise<unknown>): Promise<CodedError> {
  try {
    await promise;
  } catch (err) {
    return err as CodedError;
  }
  throw new Error('expected a rejection');
}

/** This process's CPU time (user + system, ms) over the next `ms` milliseconds. */
export function cpuMsDuring(ms: number): Promise<number> {
  const before = process.cpuUsage();
  return new Promise((resolve) =>
    setTimeout(() => {
      const d = process.cpuUsage(before);
      resolve((d.user + d.system) / 1000);
    }, ms),
  );
}

/** Polls `check` every `intervalMs` until it returns true; fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Milliseconds taken by `fn`'s promise, settled or not; returns the outcome too. */
export async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

/**
 * Resolves or rejects as `promise` does, but fails with a clear message if it has not settled
 * within `ms`: a hang shows up as a failure of that step, not as the runner's 60 s timeout.
 */
export function within<T>(ms: number, promise: Promise<T>, what = 'the operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
