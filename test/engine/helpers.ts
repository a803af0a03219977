import { createHook } from 'node:async_hooks';

/**
 * Synchronisation helpers for engine tests: wait on a condition or a promise, never on a
 * fixed sleep. `delay` exists only to simulate work inside task code.
 */

export interface WaitForOptions {
  /** Fails the wait after this long. @default 5000 */
  timeoutMs?: number;
  /** Time between two checks. @default 5 */
  intervalMs?: number;
  /** Shown when the wait times out. */
  message?: string;
}

/** Resolves once `predicate` returns true; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 5, message = 'condition' }: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms waiting for ${message}`);
    }
    await delay(intervalMs);
  }
}

/** A promise with its resolve / reject exposed, and whether it settled. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  isSettled(): boolean;
}

export function createDeferred<T = void>(): Deferred<T> {
  let settled = false;
  let resolvePromise: (value: T) => void = () => undefined;
  let rejectPromise: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((resolve, reject) => {
    resolvePromise = resolve;
    rejectPromise = reject;
  });
  return {
    promise,
    resolve(value) {
      settled = true;
      resolvePromise(value);
    },
    reject(error) {
      settled = true;
      rejectPromise(error);
    },
    isSettled: () => settled,
  };
}

/** Opens once `countDown` has been called `count` times. */
export interface Latch {
  readonly promise: Promise<void>;
  countDown(): void;
  remaining(): number;
}

export function createLatch(count: number): Latch {
  const opened = createDeferred();
  let remaining = count;
  if (remaining <= 0) opened.resolve();
  return {
    promise: opened.promise,
    countDown() {
      remaining -= 1;
      if (remaining === 0) opened.resolve();
    },
    remaining: () => Math.max(0, remaining),
  };
}

/** Simulated work inside task code. Not for synchronising a test with the engine. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/** A promise that never settles: a hung task. */
export function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/** Counts calls per key, to check that something happened exactly once. */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  record(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Keys recorded more than once. */
  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([key]) => key);
  }

  get size(): number {
    return this.counts.size;
  }
}

/** The rejection reason of `promise`; fails if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}

/** `promise`, or a rejection naming `what` if it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Timers created from code under a path that still hold the process open. */
export interface TimerTracker {
  /** Creation stacks of tracked timers neither fired, cleared nor unref'd. */
  pending(): string[];
  stop(): void;
}

/** The parts of Node's Timeout object read here (`_destroyed` is set once fired or cleared). */
interface TimerResource {
  _destroyed?: boolean;
  hasRef?: () => boolean;
}

/**
 * Tracks every `setTimeout` / `setInterval` created while enabled by code whose file path
 * contains `pathFragment`, so a test can assert that a component left none behind.
 */
export function trackTimers(pathFragment: string): TimerTracker {
  const live = new Map<number, { timer: TimerResource; stack: string }>();
  const hook = createHook({
    init(asyncId, type, _triggerAsyncId, resource) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      const stack = new Error('timer created').stack ?? '';
      Error.stackTraceLimit = limit;
      if (stack.includes(pathFragment)) {
        live.set(asyncId, { timer: resource, stack });
      }
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return {
    pending: () =>
      [...live.values()]
        .filter(({ timer }) => timer._destroyed !== true && timer.hasRef?.() !== false)
        .map((t) => t.stack),
    stop: () => hook.disable(),
  };
}
