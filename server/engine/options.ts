/** Validation and normalisation of task and enqueue options (SPEC §1 option rules). */
import { DurableExecutionError } from './errors';
import type { StoredRetryOptions } from './storage';
import type { TaskEnqueueOptions, TaskRetryOptions } from './types';

const TASK_ID_PATTERN = /^\w+$/;

/** Invalid options given to a task definition or an enqueue call. Never retryable. */
export class DurableOptionsError extends DurableExecutionError {
  static override readonly kind: string = 'DurableOptionsError';
  constructor(message: string) {
    super(message, false);
  }
}

export function validateTaskId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new DurableOptionsError(`Invalid task id ${describe(id)}: must be a non-empty string`);
  }
  if (id.length > 255) {
    throw new DurableOptionsError(
      `Invalid task id "${id.slice(0, 32)}...": must be at most 255 characters`,
    );
  }
  if (!TASK_ID_PATTERN.test(id)) {
    throw new DurableOptionsError(
      `Invalid task id "${id}": must contain only letters, digits and underscores`,
    );
  }
  return id;
}

export function validateTimeoutMs(timeoutMs: unknown, taskId: string): number {
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new DurableOptionsError(
      `Invalid timeoutMs ${describe(timeoutMs)} of task ${taskId}: must be an integer >= 1`,
    );
  }
  return timeoutMs;
}

export function normalizeSleepMsBeforeRun(sleepMs: unknown, taskId: string): number {
  if (sleepMs === undefined) return 0;
  if (typeof sleepMs !== 'number' || !Number.isInteger(sleepMs)) {
    throw new DurableOptionsError(
      `Invalid sleepMsBeforeRun ${describe(sleepMs)} of task ${taskId}: must be an integer`,
    );
  }
  return Math.max(0, sleepMs);
}

export const NO_RETRIES: StoredRetryOptions = Object.freeze({
  maxAttempts: 0,
  baseDelayMs: 0,
  delayMultiplier: 1,
  maxDelayMs: null,
});

export function normalizeRetryOptions(
  options: TaskRetryOptions | undefined,
  taskId: string,
): StoredRetryOptions {
  if (options === undefined) return NO_RETRIES;
  if (typeof options !== 'object' || options === null) {
    throw new DurableOptionsError(
      `Invalid retryOptions ${describe(options)} of task ${taskId}: must be an object`,
    );
  }
  const { maxAttempts, baseDelayMs = 0, delayMultiplier = 1, maxDelayMs } = options;
  if (typeof maxAttempts !== 'number' || !Number.isInteger(maxAttempts) || maxAttempts < 0) {
    throw new DurableOptionsError(
      `Invalid retryOptions.maxAttempts ${describe(maxAttempts)} of task ${taskId}: must be an integer >= 0`,
    );
  }
  requireNumber('baseDelayMs', baseDelayMs, 0, taskId);
  requireNumber('delayMultiplier', delayMultiplier, 0.1, taskId);
  if (maxDelayMs !== undefined) requireNumber('maxDelayMs', maxDelayMs, 0, taskId);
  return { maxAttempts, baseDelayMs, delayMultiplier, maxDelayMs: maxDelayMs ?? null };
}

function requireNumber(name: string, value: unknown, min: number, taskId: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new DurableOptionsError(
      `Invalid retryOptions.${name} ${describe(value)} of task ${taskId}: must be >= ${min}`,
    );
  }
}

export interface ResolvedRunOptions {
  retryOptions: StoredRetryOptions;
  sleepMsBeforeRun: number;
  timeoutMs: number;
}

/** Applies validated enqueue-time overrides on top of a task's own options. */
export function resolveEnqueueOptions(
  base: ResolvedRunOptions,
  overrides: TaskEnqueueOptions | undefined,
  taskId: string,
): ResolvedRunOptions {
  if (overrides === undefined) return base;
  if (typeof overrides !== 'object' || overrides === null) {
    throw new DurableOptionsError(
      `Invalid enqueue options ${describe(overrides)} of task ${taskId}: must be an object`,
    );
  }
  return {
    retryOptions:
      overrides.retryOptions === undefined
        ? base.retryOptions
        : normalizeRetryOptions(overrides.retryOptions, taskId),
    sleepMsBeforeRun:
      overrides.sleepMsBeforeRun === undefined
        ? base.sleepMsBeforeRun
        : normalizeSleepMsBeforeRun(overrides.sleepMsBeforeRun, taskId),
    timeoutMs:
      overrides.timeoutMs === undefined
        ? base.timeoutMs
        : validateTimeoutMs(overrides.timeoutMs, taskId),
  };
}

/** Delay before retry number `retryAttempt` (0-based), with up to 10% jitter. */
export function retryDelayMs(options: StoredRetryOptions, retryAttempt: number): number {
  const raw = options.baseDelayMs * Math.pow(options.delayMultiplier, retryAttempt);
  const jittered = raw * (1 + Math.random() * 0.1);
  return Math.round(
    options.maxDelayMs === null ? jittered : Math.min(options.maxDelayMs, jittered),
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return 'a value that cannot be shown';
  }
}
