/** The compact shape of an execution in lists and trees (details come from `get`). */
import type { TaskExecution, TaskExecutionStatus, TaskProgress } from '@/server/engine';

export interface ExecutionSummary {
  executionId: string;
  taskId: string;
  status: TaskExecutionStatus;
  parentExecutionId: string | null;
  rootExecutionId: string | null;
  indexInParent: number | null;
  isFinalizeTask: boolean;
  retryAttempts: number;
  recoveryAttempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  errorMessage: string | null;
  /** The last `ctx.progress` report, shown as a bar in the list. */
  progress: TaskProgress | null;
}

export function toExecutionSummary(execution: TaskExecution<unknown>): ExecutionSummary {
  return {
    executionId: execution.executionId,
    taskId: execution.taskId,
    status: execution.status,
    parentExecutionId: execution.parentTask?.executionId ?? null,
    rootExecutionId: execution.rootTask?.executionId ?? null,
    indexInParent: execution.parentTask?.isFinalizeTask
      ? null
      : (execution.parentTask?.index ?? null),
    isFinalizeTask: execution.parentTask?.isFinalizeTask ?? false,
    retryAttempts: execution.retryAttempts,
    recoveryAttempts: execution.recoveryAttempts,
    createdAt: execution.createdAt,
    startedAt: execution.startedAt ?? null,
    finishedAt: execution.finishedAt ?? null,
    errorMessage: execution.error?.message ?? null,
    progress: execution.progress ?? null,
  };
}
