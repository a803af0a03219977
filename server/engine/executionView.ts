/** Turns stored rows into the execution objects users see (deserialized values, Dates). */
import type { SafeSerializer } from './serializer';
import type { ExecutionRow } from './storage';
import {
  isFinishedStatus,
  type FailedTaskExecution,
  type TaskExecution,
  type TaskRetryOptions,
} from './types';

export function toTaskExecution<TOutput>(
  serializer: SafeSerializer,
  row: ExecutionRow,
  children: ExecutionRow[] | null,
): TaskExecution<TOutput> {
  const retryOptions: TaskRetryOptions = {
    maxAttempts: row.retryOptions.maxAttempts,
    baseDelayMs: row.retryOptions.baseDelayMs,
    delayMultiplier: row.retryOptions.delayMultiplier,
    ...(row.retryOptions.maxDelayMs === null ? {} : { maxDelayMs: row.retryOptions.maxDelayMs }),
  };
  const base = {
    taskId: row.taskId,
    executionId: row.executionId,
    runInput: serializer.deserialize(row.runInput),
    retryOptions,
    sleepMsBeforeRun: row.sleepMsBeforeRun,
    timeoutMs: row.timeoutMs,
    retryAttempts: row.retryAttempts,
    recoveryAttempts: row.recoveryAttempts,
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
    ...(row.runOutput === null ? {} : { runOutput: serializer.deserialize(row.runOutput) }),
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
      output:
        row.output === null ? (undefined as TOutput) : serializer.deserialize<TOutput>(row.output),
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
