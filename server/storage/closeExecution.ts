/**
 * The follow-up of one finished execution (`DurableStorage.closeExecution`), shared by both
 * databases: each supplies the statements, run inside one transaction. The sequence:
 * 1. compare-and-set closeStatus `ready` -> `closed` (only one closer ever proceeds);
 * 2. when it did not complete, cancel its active descendants;
 * 3. update the parent: finish it (finalize task), or count the child atomically and, for a
 *    child that did not complete, fail the parent or add to its errors (parent row locked).
 */
import { CHILDREN_TASKS_FAILED_ERROR, FINALIZE_TASK_FAILED_ERROR } from '@/server/engine/storage';
import type { CloseResult } from '@/server/engine/storage';
import type { ChildTaskError, TaskExecutionStatus } from '@/server/engine/types';
import type { DbExecutionRow } from './rows';
import { toExecutionRow } from './rows';

/** How a finalize task's parent finishes. */
export interface FinalizeParentUpdate {
  status: 'completed' | 'finalize_task_failed';
  output: string | null;
  error: string | null;
  finalizeTaskError: string | null;
}

/** The parent fields a failed child's close reads (under a row lock) before writing. */
export interface LockedParent {
  status: TaskExecutionStatus;
  childrenTasksErrors: ChildTaskError[] | null;
}

/** A failed child's effect on its parent, besides counting it. */
export type FailedChildChange =
  | { kind: 'fail_parent'; childrenTasksErrors: ChildTaskError[] }
  | { kind: 'add_error'; childrenTasksErrors: ChildTaskError[] }
  | { kind: 'count_only' };

export interface CloseStatements {
  /** Step 1; null when the row is not waiting for its close. */
  markClosed(executionId: string): Promise<DbExecutionRow | null>;
  cancelDescendants(executionId: string, now: number): Promise<string[]>;
  /** Guarded on the parent still `waiting_for_finalize_task`; true when it finished. */
  finishFinalizeParent(
    parentId: string,
    update: FinalizeParentUpdate,
    now: number,
  ): Promise<boolean>;
  /** finishedChildrenCount + 1; the parent's status and counters after the increment. */
  countCompletedChild(
    parentId: string,
    now: number,
  ): Promise<{ status: string; finishedChildrenCount: number; childrenCount: number } | null>;
  lockParent(parentId: string): Promise<LockedParent | null>;
  countFailedChild(parentId: string, change: FailedChildChange, now: number): Promise<void>;
}

export async function closeExecution(
  statements: CloseStatements,
  executionId: string,
  now: number,
): Promise<CloseResult> {
  const result: CloseResult = {
    cancelledExecutionIds: [],
    finishedParentExecutionId: null,
    parentReadyToAdvanceExecutionId: null,
  };
  const dbRow = await statements.markClosed(executionId);
  if (!dbRow) return result;
  const row = toExecutionRow(dbRow);
  if (row.status !== 'completed') {
    result.cancelledExecutionIds = await statements.cancelDescendants(executionId, now);
  }
  const parentId = row.parentExecutionId;
  if (!parentId) return result;

  if (row.isFinalizeTask) {
    const completed = row.status === 'completed';
    const finished = await statements.finishFinalizeParent(
      parentId,
      {
        status: completed ? 'completed' : 'finalize_task_failed',
        output: completed ? row.output : null,
        error: completed ? null : JSON.stringify(FINALIZE_TASK_FAILED_ERROR),
        finalizeTaskError: completed || !row.error ? null : JSON.stringify(row.error),
      },
      now,
    );
    if (finished) result.finishedParentExecutionId = parentId;
    return result;
  }

  if (row.status === 'completed') {
    const parent = await statements.countCompletedChild(parentId, now);
    if (
      parent?.status === 'waiting_for_children_tasks' &&
      parent.finishedChildrenCount >= parent.childrenCount
    ) {
      result.parentReadyToAdvanceExecutionId = parentId;
    }
    return result;
  }

  const parent = await statements.lockParent(parentId);
  if (!parent) return result;
  const childError: ChildTaskError = {
    index: row.indexInParent,
    taskId: row.taskId,
    executionId: row.executionId,
    error: row.error ?? CHILDREN_TASKS_FAILED_ERROR,
  };
  let change: FailedChildChange = { kind: 'count_only' };
  if (parent.status === 'waiting_for_children_tasks') {
    change = { kind: 'fail_parent', childrenTasksErrors: [childError] };
    result.finishedParentExecutionId = parentId;
  } else if (parent.status === 'children_tasks_failed') {
    const errors = [...(parent.childrenTasksErrors ?? []), childError];
    change = { kind: 'add_error', childrenTasksErrors: errors.sort((a, b) => a.index - b.index) };
  }
  await statements.countFailedChild(parentId, change, now);
  return result;
}

/** The `error` column value of a parent moved to `children_tasks_failed`. */
export const CHILDREN_TASKS_FAILED_ERROR_JSON = JSON.stringify(CHILDREN_TASKS_FAILED_ERROR);
