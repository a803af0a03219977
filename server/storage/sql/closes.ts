/**
 * The follow-up of one finished execution (`DurableStorage.closeExecutions`), one program
 * for both databases, run inside one transaction:
 * 1. compare-and-set closeStatus `ready` -> `closed` (only one closer ever proceeds), with the
 *    parent locked first where rows lock (the same top-down order as a cancel of the parent);
 * 2. when it did not complete, cancel its active descendants;
 * 3. update the parent: finish it (finalize task), or count the child atomically and, for a
 *    child that did not complete, fail the parent or add to its errors (parent row locked),
 *    unless the parent's policy is to continue: then the child only counts.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import { CHILDREN_TASKS_FAILED_ERROR, FINALIZE_TASK_FAILED_ERROR } from '@/server/engine/storage';
import type { CloseResult } from '@/server/engine/storage';
import type { ChildTaskError, TaskExecutionStatus } from '@/server/engine/types';
import type { DbExecutionRow } from '../rows';
import { toExecutionRow, toNumber } from '../rows';
import { cancelDescendants } from './cancels';
import type { Dialect } from './dialect';
import { bigint, bool, CLOSE_STATUS_ON_FINISH, EXECUTION_COLUMNS, text } from './fragments';
import { execute, queryRows, type Program } from './program';

/** The `error` column value of a parent moved to `children_tasks_failed`. */
const CHILDREN_TASKS_FAILED_ERROR_JSON = JSON.stringify(CHILDREN_TASKS_FAILED_ERROR);

const NOTHING_TO_FOLLOW: CloseResult = Object.freeze({
  cancelledExecutionIds: [],
  finishedParentExecutionId: null,
  parentReadyToAdvanceExecutionId: null,
});

export function* closeExecution(
  d: Dialect,
  executionId: string,
  now: number,
): Program<CloseResult> {
  const dbRow = yield* markClosed(d, executionId);
  if (!dbRow) return NOTHING_TO_FOLLOW;
  const row = toExecutionRow(dbRow);
  const cancelledExecutionIds =
    row.status === 'completed' ? [] : yield* cancelDescendants(d, executionId, now);
  const result: CloseResult = { ...NOTHING_TO_FOLLOW, cancelledExecutionIds };
  const parentId = row.parentExecutionId;
  if (!parentId) return result;

  if (row.isFinalizeTask) {
    const completed = row.status === 'completed';
    const finished = yield* finishFinalizeParent(d, parentId, now, {
      status: completed ? 'completed' : 'finalize_task_failed',
      output: completed ? row.output : null,
      error: completed ? null : JSON.stringify(FINALIZE_TASK_FAILED_ERROR),
      finalizeTaskError: completed || !row.error ? null : JSON.stringify(row.error),
    });
    return finished ? { ...result, finishedParentExecutionId: parentId } : result;
  }

  if (row.status === 'completed' || (yield* parentContinues(d, parentId))) {
    const parent = yield* countCompletedChild(d, parentId, now);
    const ready =
      parent?.status === 'waiting_for_children_tasks' &&
      toNumber(parent.finished_children_count) >= toNumber(parent.children_count);
    return ready ? { ...result, parentReadyToAdvanceExecutionId: parentId } : result;
  }

  const [parent] = yield* queryRows<{ status: string; children_tasks_errors: string | null }>(sql`
    SELECT status, children_tasks_errors FROM ${d.executions}
    WHERE execution_id = ${parentId} ${d.forUpdate}`);
  if (!parent) return result;
  const childError: ChildTaskError = {
    index: row.indexInParent,
    taskId: row.taskId,
    executionId: row.executionId,
    error: row.error ?? CHILDREN_TASKS_FAILED_ERROR,
  };
  const status = parent.status as TaskExecutionStatus;
  const failParent = status === 'waiting_for_children_tasks';
  let errors: ChildTaskError[] | null = null;
  if (failParent) {
    errors = [childError];
  } else if (status === 'children_tasks_failed') {
    const previous = parent.children_tasks_errors
      ? (JSON.parse(parent.children_tasks_errors) as ChildTaskError[])
      : [];
    errors = [...previous, childError].sort((a, b) => a.index - b.index);
  }
  yield* countFailedChild(d, parentId, now, failParent, errors);
  return failParent ? { ...result, finishedParentExecutionId: parentId } : result;
}

/** Whether the parent lets its children fail (`onChildFailure: 'continue'`); locks its row. */
function* parentContinues(d: Dialect, parentId: string): Program<boolean> {
  const [parent] = yield* queryRows<{ on_child_failure: string }>(sql`
    SELECT on_child_failure FROM ${d.executions} WHERE execution_id = ${parentId} ${d.forUpdate}`);
  return parent?.on_child_failure === 'continue';
}

function* markClosed(d: Dialect, executionId: string): Program<DbExecutionRow | null> {
  if (d.hasRowLocks) {
    yield* queryRows(sql`
      SELECT execution_id FROM ${d.executions}
      WHERE execution_id = (SELECT parent_execution_id FROM ${d.executions}
        WHERE execution_id = ${executionId} AND close_status = 'ready')
      ${d.forUpdate}`);
  }
  const rows = yield* queryRows<DbExecutionRow>(sql`
    UPDATE ${d.executions} SET close_status = 'closed'
    WHERE execution_id = ${executionId} AND close_status = 'ready'
    RETURNING ${EXECUTION_COLUMNS}`);
  return rows[0] ?? null;
}

interface FinalizeParentUpdate {
  status: 'completed' | 'finalize_task_failed';
  output: string | null;
  error: string | null;
  finalizeTaskError: string | null;
}

/** Guarded on the parent still `waiting_for_finalize_task`; true when it finished. */
function* finishFinalizeParent(
  d: Dialect,
  parentId: string,
  now: number,
  update: FinalizeParentUpdate,
): Program<boolean> {
  const rows = yield* queryRows(sql`
    UPDATE ${d.executions} AS t
    SET status = ${text(update.status)},
      output = CASE WHEN ${text(update.status)} = 'completed' THEN ${text(update.output)}
        ELSE t.output END,
      error = COALESCE(${text(update.error)}, t.error),
      finalize_task_error = COALESCE(${text(update.finalizeTaskError)}, t.finalize_task_error),
      finished_at = ${bigint(now)}, updated_at = ${bigint(now)}, expires_at = NULL,
      close_status = ${CLOSE_STATUS_ON_FINISH}
    WHERE execution_id = ${parentId} AND status = 'waiting_for_finalize_task'
    RETURNING execution_id`);
  return rows.length > 0;
}

interface ParentCounters {
  status: string;
  finished_children_count: number | bigint;
  children_count: number | bigint;
}

/** finishedChildrenCount + 1; the parent's status and counters after the increment. */
function* countCompletedChild(
  d: Dialect,
  parentId: string,
  now: number,
): Program<ParentCounters | null> {
  const rows = yield* queryRows<ParentCounters>(sql`
    UPDATE ${d.executions}
    SET finished_children_count = finished_children_count + 1, updated_at = ${bigint(now)}
    WHERE execution_id = ${parentId}
    RETURNING status, finished_children_count, children_count`);
  return rows[0] ?? null;
}

/**
 * Counts a child that did not complete; `failParent` moves the parent to
 * `children_tasks_failed`, `errors` (when not null) replaces its children errors.
 */
function* countFailedChild(
  d: Dialect,
  parentId: string,
  now: number,
  failParent: boolean,
  errors: ChildTaskError[] | null,
): Program<void> {
  const fail = bool(failParent);
  yield* execute(sql`
    UPDATE ${d.executions} AS t
    SET finished_children_count = t.finished_children_count + 1, updated_at = ${bigint(now)},
      children_tasks_errors = COALESCE(${text(errors && JSON.stringify(errors))},
        t.children_tasks_errors),
      status = CASE WHEN ${fail} THEN 'children_tasks_failed' ELSE t.status END,
      error = CASE WHEN ${fail} THEN ${text(CHILDREN_TASKS_FAILED_ERROR_JSON)} ELSE t.error END,
      finished_at = CASE WHEN ${fail} THEN ${bigint(now)} ELSE t.finished_at END,
      expires_at = CASE WHEN ${fail} THEN NULL ELSE t.expires_at END,
      close_status = CASE WHEN ${fail} THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END
    WHERE execution_id = ${parentId}`);
}

/**
 * Reports, for a batch of completed children counted together, each parent ready to advance
 * once: by the last of its children in the batch (the one whose count completed it, as when
 * closing one at a time). `closed` are the children the batch closed, with their parent's
 * counters after the batch's increments (null when the parent was not found).
 */
export interface ClosedChild {
  execution_id: string;
  parent_execution_id: string;
  status: string | null;
  finished_children_count: number | bigint | null;
  children_count: number | bigint | null;
}

export function completedChildrenResults(
  executionIds: readonly string[],
  closed: ClosedChild[],
): Map<string, CloseResult> {
  const results = new Map<string, CloseResult>();
  const reported = new Set<string>();
  const order = new Map(executionIds.map((id, index) => [id, index]));
  closed.sort((a, b) => (order.get(b.execution_id) ?? 0) - (order.get(a.execution_id) ?? 0));
  for (const row of closed) {
    const ready =
      row.status === 'waiting_for_children_tasks' &&
      toNumber(row.finished_children_count ?? 0) >= toNumber(row.children_count ?? 0) &&
      !reported.has(row.parent_execution_id);
    if (ready) reported.add(row.parent_execution_id);
    results.set(row.execution_id, {
      ...NOTHING_TO_FOLLOW,
      parentReadyToAdvanceExecutionId: ready ? row.parent_execution_id : null,
    });
  }
  return results;
}
