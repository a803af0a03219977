/**
 * Flow control options: a task's concurrency and rate limits (how many of its executions run at
 * once, how many start per period, in total or per key), and an enqueue's priority and
 * idempotency key. Validated here, once; stores enforce the limits in their claim.
 */
import { DurableOptionsError } from './options';
import type { TaskFlowLimits } from './storage';

/** Keys (idempotency, concurrency, rate) are at most this long. */
export const MAX_KEY_LENGTH = 255;
/** How long an idempotency key is remembered from the first enqueue, by default. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Priorities are 32-bit integers, so that every store keeps them exactly. */
const PRIORITY_RANGE = 2 ** 31 - 1;

export interface ConcurrencyOptions<TRunInput> {
  /** At most this many executions of the task run at once (per key with `key`). Integer >= 1. */
  limit: number;
  /** The key executions are counted under (a tenant, a user); at most 255 characters. */
  key?: (input: TRunInput) => string;
}

export interface RateLimitOptions<TRunInput> {
  /** At most this many executions start per `periodMs` (per key with `key`). Integer >= 1. */
  limit: number;
  /** Integer >= 1. */
  periodMs: number;
  key?: (input: TRunInput) => string;
}

/** Task options for flow control, on tasks and parent tasks alike. */
export interface FlowControlOptions<TRunInput> {
  concurrency?: ConcurrencyOptions<TRunInput>;
  rateLimit?: RateLimitOptions<TRunInput>;
}

type KeyFunction = ((input: unknown) => string) | null;

/** A task's validated limits; the key functions run at enqueue, on the validated input. */
export interface TaskFlowControl {
  concurrency: { limit: number; key: KeyFunction } | null;
  rateLimit: { limit: number; periodMs: number; key: KeyFunction } | null;
}

export const NO_FLOW_CONTROL: TaskFlowControl = Object.freeze({
  concurrency: null,
  rateLimit: null,
});

export function normalizeFlowControl(
  options: FlowControlOptions<never>,
  taskId: string,
): TaskFlowControl {
  const { concurrency, rateLimit } = options as FlowControlOptions<unknown>;
  return {
    concurrency:
      concurrency === undefined
        ? null
        : {
            limit: positiveInteger(
              objectOf(concurrency, 'concurrency', taskId).limit,
              'concurrency.limit',
              taskId,
            ),
            key: keyFunction(concurrency.key, 'concurrency.key', taskId),
          },
    rateLimit:
      rateLimit === undefined
        ? null
        : {
            limit: positiveInteger(
              objectOf(rateLimit, 'rateLimit', taskId).limit,
              'rateLimit.limit',
              taskId,
            ),
            periodMs: positiveInteger(rateLimit.periodMs, 'rateLimit.periodMs', taskId),
            key: keyFunction(rateLimit.key, 'rateLimit.key', taskId),
          },
  };
}

/** The limits a claim of `taskId` must respect, or null when it has none. */
export function flowLimitsOf(taskId: string, flow: TaskFlowControl): TaskFlowLimits | null {
  if (!flow.concurrency && !flow.rateLimit) return null;
  return {
    taskId,
    concurrencyLimit: flow.concurrency?.limit ?? null,
    rateLimit: flow.rateLimit
      ? { limit: flow.rateLimit.limit, periodMs: flow.rateLimit.periodMs }
      : null,
  };
}

/** The concurrency and rate keys of an execution of the task, from its validated input. */
export function flowKeysOf(
  flow: TaskFlowControl,
  runInput: unknown,
  taskId: string,
): { concurrencyKey: string | null; rateKey: string | null } {
  return {
    concurrencyKey: flow.concurrency
      ? computeKey(flow.concurrency.key, runInput, 'concurrency', taskId)
      : null,
    rateKey: flow.rateLimit ? computeKey(flow.rateLimit.key, runInput, 'rate limit', taskId) : null,
  };
}

export interface EnqueueFlowOptions {
  priority?: number;
  idempotencyKey?: string;
  idempotencyTtlMs?: number;
}

/** An enqueue's priority (a child inherits its parent's) and idempotency key, validated. */
export function resolveEnqueueFlow(
  options: EnqueueFlowOptions | undefined,
  inheritedPriority: number,
  now: number,
  taskId: string,
): { priority: number; idempotencyKey: string | null; idempotencyExpiresAt: number | null } {
  const { priority, idempotencyKey, idempotencyTtlMs } = options ?? {};
  if (
    priority !== undefined &&
    (typeof priority !== 'number' ||
      !Number.isInteger(priority) ||
      Math.abs(priority) > PRIORITY_RANGE)
  ) {
    throw new DurableOptionsError(
      `Invalid priority ${String(priority)} of task ${taskId}: must be an integer between ` +
        `-${PRIORITY_RANGE} and ${PRIORITY_RANGE}`,
    );
  }
  if (idempotencyKey !== undefined) {
    validateKey(idempotencyKey, 'idempotencyKey', taskId);
  }
  if (idempotencyTtlMs !== undefined) positiveInteger(idempotencyTtlMs, 'idempotencyTtlMs', taskId);
  return {
    priority: priority ?? inheritedPriority,
    idempotencyKey: idempotencyKey ?? null,
    idempotencyExpiresAt:
      idempotencyKey === undefined ? null : now + (idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS),
  };
}

function computeKey(key: KeyFunction, runInput: unknown, what: string, taskId: string): string {
  // Without a key function the whole task shares one limit.
  if (!key) return '';
  let value: unknown;
  try {
    value = key(runInput);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DurableOptionsError(`The ${what} key of task ${taskId} threw: ${reason}`);
  }
  return validateKey(value, `${what} key`, taskId);
}

function validateKey(value: unknown, name: string, taskId: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DurableOptionsError(`Invalid ${name} of task ${taskId}: must be a non-empty string`);
  }
  if (value.length > MAX_KEY_LENGTH) {
    throw new DurableOptionsError(
      `Invalid ${name} of task ${taskId}: ${value.length} characters, at most ${MAX_KEY_LENGTH}`,
    );
  }
  return value;
}

function objectOf<T>(value: T, name: string, taskId: string): T {
  if (typeof value !== 'object' || value === null) {
    throw new DurableOptionsError(`Invalid ${name} of task ${taskId}: must be an object`);
  }
  return value;
}

function positiveInteger(value: unknown, name: string, taskId: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DurableOptionsError(
      `Invalid ${name} ${String(value)} of task ${taskId}: must be an integer >= 1`,
    );
  }
  return value;
}

function keyFunction(value: unknown, name: string, taskId: string): KeyFunction {
  if (value === undefined) return null;
  if (typeof value !== 'function') {
    throw new DurableOptionsError(`Invalid ${name} of task ${taskId}: must be a function`);
  }
  return value as (input: unknown) => string;
}
