/** Turns stored rows into the execution objects users see (deserialized values, Dates). */
import type { SafeSerializer } from './serializer';
import type { ExecutionRow } from './storage';
import {
  isFinishedStatus,
  type FailedTaskExecution,
  type TaskExecution,
  type TaskProgress,
  type TaskRetryOptions,
} from './types';

/** How much of an unreadable stored text a marker keeps. */
export const UNREADABLE_TEXT_MAX_CHARS = 2_000;

/**
 * Stands in for a stored input or output that cannot be deserialized (a serializer change, a
 * corrupted row) in read-model queries (`getExecution`, `listExecutions`, `getExecutionTree`),
 * so one such value does not fail the whole read. Typed handles never return it: they throw
 * the serializer's error. A plain object, so it travels through any transport.
 */
export interface UnreadableValue {
  /** The stored text, cut to its first `UNREADABLE_TEXT_MAX_CHARS` characters. */
  unreadableValue: string;
  /** The stored text's full length in characters: more than `unreadableValue`'s when cut. */
  storedLength: number;
  /** Why it cannot be read ("Error deserializing value: ..."). */
  error: string;
}

/**
 * Whether `value`, read through a read-model query, is the marker of a value that could not be
 * deserialized. (A stored value of exactly this shape would read as one too.)
 */
export function isUnreadableValue(value: unknown): value is UnreadableValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    'unreadableValue' in value &&
    typeof value.unreadableValue === 'string' &&
    'storedLength' in value &&
    typeof value.storedLength === 'number' &&
    'error' in value &&
    typeof value.error === 'string'
  );
}

export interface ExecutionViewOptions {
  /**
   * What a stored value that cannot be deserialized becomes: `'throw'` the serializer's
   * non-retryable error (typed reads, which must not invent a value), or `'mark'` it with an
   * `UnreadableValue` (reads for APIs and dashboards).
   * @default 'throw'
   */
  unreadableValues?: 'throw' | 'mark';
}

export function toTaskExecution<TOutput>(
  serializer: SafeSerializer,
  row: ExecutionRow,
  children: ExecutionRow[] | null,
  options?: { unreadableValues?: 'throw' },
): TaskExecution<TOutput>;
/** With `'mark'`, any value may be an `UnreadableValue`, so the output is typed `unknown`. */
export function toTaskExecution(
  serializer: SafeSerializer,
  row: ExecutionRow,
  children: ExecutionRow[] | null,
  options: ExecutionViewOptions,
): TaskExecution<unknown>;
export function toTaskExecution<TOutput>(
  serializer: SafeSerializer,
  row: ExecutionRow,
  children: ExecutionRow[] | null,
  { unreadableValues = 'throw' }: ExecutionViewOptions = {},
): TaskExecution<TOutput> {
  const read = (text: string): unknown =>
    unreadableValues === 'mark' ? readOrMark(serializer, text) : serializer.deserialize(text);
  const retryOptions: TaskRetryOptions = {
    maxAttempts: row.retryOptions.maxAttempts,
    baseDelayMs: row.retryOptions.baseDelayMs,
    delayMultiplier: row.retryOptions.delayMultiplier,
    ...(row.retryOptions.maxDelayMs === null ? {} : { maxDelayMs: row.retryOptions.maxDelayMs }),
  };
  const base = {
    taskId: row.taskId,
    executionId: row.executionId,
    runInput: read(row.runInput),
    retryOptions,
    sleepMsBeforeRun: row.sleepMsBeforeRun,
    timeoutMs: row.timeoutMs,
    retryAttempts: row.retryAttempts,
    recoveryAttempts: row.recoveryAttempts,
    priority: row.priority,
    ...(row.idempotencyKey === null ? {} : { idempotencyKey: row.idempotencyKey }),
    ...(row.concurrencyKey === null ? {} : { concurrencyKey: row.concurrencyKey }),
    ...(row.rateKey === null ? {} : { rateKey: row.rateKey }),
    ...(row.linkedExecutionId === null ? {} : { linkedExecutionId: row.linkedExecutionId }),
    ...(row.owner === null ? {} : { owner: row.owner }),
    ...(row.progress === null ? {} : { progress: parseProgress(row.progress) }),
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    ...(row.rootExecutionId && row.rootTaskId
      ? { rootTask: { taskId: row.rootTaskId, executionId: row.rootExecutionId } }
      : {}),
    ...(row.parentExecutionId && row.parentTaskId
      ? {
          parentTask: {
            taskId: row.parentTaskId,
            executionId: row.parentExecutionId,
            index: row.indexInParent,
            isFinalizeTask: row.isFinalizeTask,
          },
        }
      : {}),
    ...(row.startedAt === null ? {} : { startedAt: new Date(row.startedAt) }),
    ...(row.expiresAt === null ? {} : { expiresAt: new Date(row.expiresAt) }),
    ...(row.runOutput === null ? {} : { runOutput: read(row.runOutput) }),
    ...(children && children.length > 0
      ? { childrenTasks: children.map((c) => ({ taskId: c.taskId, executionId: c.executionId })) }
      : {}),
    ...(row.childrenTasksErrors ? { childrenTasksErrors: row.childrenTasksErrors } : {}),
    ...(row.finalizeTaskExecutionId && row.finalizeTaskId
      ? { finalizeTask: { taskId: row.finalizeTaskId, executionId: row.finalizeTaskExecutionId } }
      : {}),
    ...(row.finalizeTaskError ? { finalizeTaskError: row.finalizeTaskError } : {}),
  };
  if (!isFinishedStatus(row.status)) {
    return { ...base, status: row.status, ...(row.error ? { error: row.error } : {}) };
  }
  const finishedAt = new Date(row.finishedAt ?? row.updatedAt);
  if (row.status === 'completed') {
    return {
      ...base,
      status: 'completed',
      finishedAt,
      // TOutput is `unknown` when values are marked (see the overloads).
      output: (row.output === null ? undefined : read(row.output)) as TOutput,
    };
  }
  const failed: FailedTaskExecution = {
    ...base,
    status: row.status,
    finishedAt,
    error: row.error ?? { errorType: 'generic', message: 'Unknown error', isRetryable: false },
  };
  return failed;
}

function parseProgress(text: string): TaskProgress {
  return JSON.parse(text) as TaskProgress;
}

function readOrMark(serializer: SafeSerializer, text: string): unknown {
  try {
    return serializer.deserialize(text);
  } catch (error) {
    // SafeSerializer's error: "Error deserializing value: <the serializer's message>".
    return {
      unreadableValue: text.slice(0, UNREADABLE_TEXT_MAX_CHARS),
      storedLength: text.length,
      error: error instanceof Error ? error.message : String(error),
    } satisfies UnreadableValue;
  }
}
