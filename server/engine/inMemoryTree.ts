/**
 * The in-memory store's tree follow-ups: closing a finished execution (cascade-cancelling its
 * active descendants, then updating its parent), advancing a parent whose children all
 * completed, and cancelling an execution with its subtree. Row work only: the store notifies.
 */
import type { DurableExecutionErrorStorageValue } from './errors';
import type { InMemoryRows } from './inMemoryRows';
import {
  CASCADE_CANCELLED_ERROR,
  CHILDREN_TASKS_FAILED_ERROR,
  FINALIZE_TASK_FAILED_ERROR,
} from './storage';
import type { CloseResult, ExecutionRow, ParentAdvance } from './storage';
import { isFinishedStatus } from './types';

export function closeExecution(rows: InMemoryRows, executionId: string, now: number): CloseResult {
  const result: CloseResult = {
    cancelledExecutionIds: [],
    finishedParentExecutionId: null,
    parentReadyToAdvanceExecutionId: null,
  };
  const row = rows.get(executionId);
  if (!row || row.closeStatus !== 'ready') return result;
  rows.setCloseStatus(row, 'closed');
  if (row.status !== 'completed') {
    result.cancelledExecutionIds = cancelDescendants(rows, row, now);
  }
  const parent = row.parentExecutionId ? rows.get(row.parentExecutionId) : undefined;
  if (!parent) return result;
  if (row.isFinalizeTask) settleFinalizedParent(rows, parent, row, now, result);
  else countFinishedChild(rows, parent, row, now, result);
  return result;
}

/** A finished finalize task decides its waiting parent's outcome. */
function settleFinalizedParent(
  rows: InMemoryRows,
  parent: ExecutionRow,
  finalize: ExecutionRow,
  now: number,
  result: CloseResult,
): void {
  if (parent.status !== 'waiting_for_finalize_task') return;
  if (finalize.status === 'completed') {
    parent.status = 'completed';
    parent.output = finalize.output;
  } else {
    parent.status = 'finalize_task_failed';
    parent.error = FINALIZE_TASK_FAILED_ERROR;
    parent.finalizeTaskError = finalize.error;
  }
  rows.finish(parent, now);
  result.finishedParentExecutionId = parent.executionId;
}

/**
 * Counts a finished child on its parent. The first failure fails the parent at once; later
 * failures only add to its childrenTasksErrors, kept in index order.
 */
function countFinishedChild(
  rows: InMemoryRows,
  parent: ExecutionRow,
  child: ExecutionRow,
  now: number,
  result: CloseResult,
): void {
  parent.finishedChildrenCount += 1;
  parent.updatedAt = now;
  if (child.status !== 'completed' && parent.onChildFailure !== 'continue') {
    const childError = {
      index: child.indexInParent,
      taskId: child.taskId,
      executionId: child.executionId,
      error: child.error ?? CHILDREN_TASKS_FAILED_ERROR,
    };
    if (parent.status === 'waiting_for_children_tasks') {
      parent.status = 'children_tasks_failed';
      parent.error = CHILDREN_TASKS_FAILED_ERROR;
      parent.childrenTasksErrors = [childError];
      rows.setReadyToAdvance(parent.executionId, false);
      rows.finish(parent, now);
      result.finishedParentExecutionId = parent.executionId;
    } else if (parent.status === 'children_tasks_failed') {
      parent.childrenTasksErrors = [...(parent.childrenTasksErrors ?? []), childError].sort(
        (a, b) => a.index - b.index,
      );
    }
  } else if (
    parent.status === 'waiting_for_children_tasks' &&
    parent.finishedChildrenCount >= parent.childrenCount
  ) {
    rows.setReadyToAdvance(parent.executionId, true);
    result.parentReadyToAdvanceExecutionId = parent.executionId;
  }
}

/** Returns the advanced parent, or undefined when it was not waiting on finished children. */
export function advanceParent(
  rows: InMemoryRows,
  executionId: string,
  advance: ParentAdvance,
  now: number,
): ExecutionRow | undefined {
  const row = rows.get(executionId);
  if (
    !row ||
    row.status !== 'waiting_for_children_tasks' ||
    row.finishedChildrenCount < row.childrenCount
  ) {
    return undefined;
  }
  rows.setReadyToAdvance(executionId, false);
  switch (advance.kind) {
    case 'completed':
      row.status = 'completed';
      row.output = advance.output;
      rows.finish(row, now);
      break;
    case 'failed':
      row.status = 'failed';
      row.error = advance.error;
      rows.finish(row, now);
      break;
    case 'waiting_for_finalize':
      row.status = 'waiting_for_finalize_task';
      row.finalizeTaskExecutionId = advance.finalize.executionId;
      row.finalizeTaskId = advance.finalize.taskId;
      row.updatedAt = now;
      rows.insert(advance.finalize);
      break;
  }
  return row;
}

/**
 * Cancels an active execution and its active descendants; returns their ids, the execution's
 * first. The execution itself still needs closing (its parent must hear of it).
 */
export function cancelSubtree(
  rows: InMemoryRows,
  executionId: string,
  error: DurableExecutionErrorStorageValue,
  now: number,
): string[] {
  const row = rows.get(executionId);
  if (!row || isFinishedStatus(row.status)) return [];
  rows.cancel(row, error, now);
  rows.setCloseStatus(row, 'ready');
  return [executionId, ...cancelDescendants(rows, row, now)];
}

/** Cancels every active descendant (children and finalize tasks, recursively). */
function cancelDescendants(rows: InMemoryRows, root: ExecutionRow, now: number): string[] {
  const cancelled: string[] = [];
  const error = CASCADE_CANCELLED_ERROR;
  const pending = [root.executionId];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    const parent = rows.mustGet(id);
    const descendantIds = [...rows.childIds(id)];
    if (parent.finalizeTaskExecutionId) descendantIds.push(parent.finalizeTaskExecutionId);
    for (const childId of descendantIds) {
      const child = rows.mustGet(childId);
      if (isFinishedStatus(child.status)) continue;
      rows.cancel(child, error, now);
      rows.setCloseStatus(child, 'closed');
      cancelled.push(childId);
      pending.push(childId);
    }
  }
  return cancelled;
}
