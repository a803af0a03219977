/**
 * SQLite: the statements of closeExecution (orchestrated by ../closeExecution.ts), cascading
 * cancellation, cancelExecution and advanceParent. Each runs in a transaction whose first
 * statement is a write, so every read after it happens under the write lock.
 */
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import { CASCADE_CANCELLED_ERROR } from '@/server/engine/storage';
import type { CloseResult, ParentAdvance } from '@/server/engine/storage';
import type { ChildTaskError, TaskExecutionStatus } from '@/server/engine/types';
import { CHILDREN_TASKS_FAILED_ERROR_JSON } from '../closeExecution';
import type { CloseStatements } from '../closeExecution';
import type { DbExecutionRow } from '../rows';
import { errorJson, toNewRowJson, toNumber } from '../rows';
import { ACTIVE_STATUS_LIST, CLOSE_STATUS_ON_FINISH, EXECUTION_COLUMNS } from '../sqlFragments';
import type { SqliteDb } from './client';
import { insertRows } from './enqueue';

type Ids = { execution_id: string }[];

/** Cancels every active descendant (children and finalize tasks, recursively): one statement. */
export async function cancelDescendants(db: SqliteDb, rootId: string, now: number) {
  const rows = await db.$queryRaw<Ids>`
    WITH RECURSIVE tree(execution_id) AS (
      SELECT execution_id FROM task_executions
      WHERE parent_execution_id = ${rootId} AND status IN ${ACTIVE_STATUS_LIST}
      UNION ALL
      SELECT c.execution_id FROM task_executions AS c JOIN tree ON c.parent_execution_id = tree.execution_id
      WHERE c.status IN ${ACTIVE_STATUS_LIST}
    )
    UPDATE task_executions
    SET status = 'cancelled', error = ${errorJson(CASCADE_CANCELLED_ERROR)}, finished_at = ${now},
      updated_at = ${now}, expires_at = NULL, close_status = 'closed'
    WHERE execution_id IN (SELECT execution_id FROM tree) AND status IN ${ACTIVE_STATUS_LIST}
    RETURNING execution_id`;
  return rows.map((row) => row.execution_id);
}

/**
 * The common close of a batch: completed children (not finalize tasks) waiting for their close
 * are marked closed and counted in their parents with two statements, whatever the batch
 * size. Must run first in a write transaction (its first statement is the write). Returns
 * each closed id's result; other ids are left to the general close.
 */
export async function closeCompletedChildren(
  db: SqliteDb,
  executionIds: readonly string[],
  now: number,
): Promise<Map<string, CloseResult>> {
  const closed = await db.$queryRaw<{ execution_id: string; parent_execution_id: string }[]>`
    UPDATE task_executions SET close_status = 'closed'
    WHERE execution_id IN (SELECT value FROM json_each(${JSON.stringify(executionIds)}))
      AND close_status = 'ready' AND status = 'completed'
      AND is_finalize_task = 0 AND parent_execution_id IS NOT NULL
    RETURNING execution_id, parent_execution_id`;
  const results = new Map<string, CloseResult>();
  if (closed.length === 0) return results;
  const perParent = new Map<string, number>();
  for (const row of closed) {
    perParent.set(row.parent_execution_id, (perParent.get(row.parent_execution_id) ?? 0) + 1);
  }
  const counts = [...perParent].map(([id, n]) => ({ id, n }));
  const parents = await db.$queryRaw<
    {
      execution_id: string;
      status: string;
      finished_children_count: number | bigint;
      children_count: number | bigint;
    }[]
  >`
    UPDATE task_executions AS p
    SET finished_children_count = p.finished_children_count + (c.value ->> 'n'), updated_at = ${now}
    FROM json_each(${JSON.stringify(counts)}) AS c
    WHERE p.execution_id = c.value ->> 'id'
    RETURNING execution_id, status, finished_children_count, children_count`;
  const readyParents = new Set(
    parents
      .filter(
        (parent) =>
          parent.status === 'waiting_for_children_tasks' &&
          toNumber(parent.finished_children_count) >= toNumber(parent.children_count),
      )
      .map((parent) => parent.execution_id),
  );
  // Each ready parent is reported once, by the last of its children in the batch (the one
  // whose count completed it, as when closing one at a time).
  const order = new Map(executionIds.map((id, index) => [id, index]));
  closed.sort((a, b) => (order.get(b.execution_id) ?? 0) - (order.get(a.execution_id) ?? 0));
  for (const row of closed) {
    const ready = readyParents.delete(row.parent_execution_id);
    results.set(row.execution_id, {
      cancelledExecutionIds: [],
      finishedParentExecutionId: null,
      parentReadyToAdvanceExecutionId: ready ? row.parent_execution_id : null,
    });
  }
  return results;
}

export function closeStatements(db: SqliteDb): CloseStatements {
  return {
    async markClosed(executionId) {
      const rows = await db.$queryRaw<DbExecutionRow[]>`
        UPDATE task_executions SET close_status = 'closed'
        WHERE execution_id = ${executionId} AND close_status = 'ready'
        RETURNING ${EXECUTION_COLUMNS}`;
      return rows[0] ?? null;
    },
    cancelDescendants: (executionId, now) => cancelDescendants(db, executionId, now),
    async finishFinalizeParent(parentId, update, now) {
      const rows = await db.$queryRaw<Ids>`
        UPDATE task_executions AS t
        SET status = ${update.status},
          output = CASE WHEN ${update.status} = 'completed' THEN ${update.output} ELSE t.output END,
          error = COALESCE(${update.error}, t.error),
          finalize_task_error = COALESCE(${update.finalizeTaskError}, t.finalize_task_error),
          finished_at = ${now}, updated_at = ${now}, expires_at = NULL,
          close_status = ${CLOSE_STATUS_ON_FINISH}
        WHERE execution_id = ${parentId} AND status = 'waiting_for_finalize_task'
        RETURNING execution_id`;
      return rows.length > 0;
    },
    async countCompletedChild(parentId, now) {
      const rows = await db.$queryRaw<
        {
          status: string;
          finished_children_count: number | bigint;
          children_count: number | bigint;
        }[]
      >`
        UPDATE task_executions
        SET finished_children_count = finished_children_count + 1, updated_at = ${now}
        WHERE execution_id = ${parentId}
        RETURNING status, finished_children_count, children_count`;
      const row = rows[0];
      return row
        ? {
            status: row.status,
            finishedChildrenCount: toNumber(row.finished_children_count),
            childrenCount: toNumber(row.children_count),
          }
        : null;
    },
    async lockParent(parentId) {
      const rows = await db.$queryRaw<{ status: string; children_tasks_errors: string | null }[]>`
        SELECT status, children_tasks_errors FROM task_executions WHERE execution_id = ${parentId}`;
      const row = rows[0];
      if (!row) return null;
      return {
        status: row.status as TaskExecutionStatus,
        childrenTasksErrors: row.children_tasks_errors
          ? (JSON.parse(row.children_tasks_errors) as ChildTaskError[])
          : null,
      };
    },
    async countFailedChild(parentId, change, now) {
      const fail = change.kind === 'fail_parent';
      const errors =
        change.kind === 'count_only' ? null : JSON.stringify(change.childrenTasksErrors);
      await db.$executeRaw`
        UPDATE task_executions AS t
        SET finished_children_count = t.finished_children_count + 1, updated_at = ${now},
          children_tasks_errors = COALESCE(${errors}, t.children_tasks_errors),
          status = CASE WHEN ${fail} THEN 'children_tasks_failed' ELSE t.status END,
          error = CASE WHEN ${fail} THEN ${CHILDREN_TASKS_FAILED_ERROR_JSON} ELSE t.error END,
          finished_at = CASE WHEN ${fail} THEN ${now} ELSE t.finished_at END,
          expires_at = CASE WHEN ${fail} THEN NULL ELSE t.expires_at END,
          close_status = CASE WHEN ${fail} THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END
        WHERE execution_id = ${parentId}`;
    },
  };
}

/** Target `cancelled` with closeStatus `ready`, then its active descendants. */
export async function cancelExecution(
  db: SqliteDb,
  executionId: string,
  error: DurableExecutionErrorStorageValue,
  now: number,
): Promise<string[]> {
  const target = await db.$queryRaw<Ids>`
    UPDATE task_executions
    SET status = 'cancelled', error = ${errorJson(error)}, finished_at = ${now},
      updated_at = ${now}, expires_at = NULL, close_status = 'ready'
    WHERE execution_id = ${executionId} AND status IN ${ACTIVE_STATUS_LIST}
    RETURNING execution_id`;
  if (target.length === 0) return [];
  return [executionId, ...(await cancelDescendants(db, executionId, now))];
}

/** Guarded on `waiting_for_children_tasks` with every child finished. */
export async function advanceParent(
  db: SqliteDb,
  executionId: string,
  advance: ParentAdvance,
  now: number,
): Promise<boolean> {
  const finalize = advance.kind === 'waiting_for_finalize' ? advance.finalize : null;
  const finish = advance.kind !== 'waiting_for_finalize';
  const status =
    advance.kind === 'waiting_for_finalize' ? 'waiting_for_finalize_task' : advance.kind;
  const rows = await db.$queryRaw<Ids>`
    UPDATE task_executions AS t
    SET status = ${status},
      output = CASE WHEN ${advance.kind === 'completed'} THEN ${advance.kind === 'completed' ? advance.output : null} ELSE t.output END,
      error = CASE WHEN ${advance.kind === 'failed'} THEN ${advance.kind === 'failed' ? errorJson(advance.error) : null} ELSE t.error END,
      finalize_task_execution_id = COALESCE(${finalize?.executionId ?? null}, t.finalize_task_execution_id),
      finalize_task_id = COALESCE(${finalize?.taskId ?? null}, t.finalize_task_id),
      finished_at = CASE WHEN ${finish} THEN ${now} ELSE t.finished_at END,
      expires_at = CASE WHEN ${finish} THEN NULL ELSE t.expires_at END,
      close_status = CASE WHEN ${finish} THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END,
      updated_at = ${now}
    WHERE execution_id = ${executionId} AND status = 'waiting_for_children_tasks'
      AND finished_children_count >= children_count
    RETURNING execution_id`;
  if (rows.length === 0) return false;
  if (finalize) await insertRows(db, [toNewRowJson(finalize, 1)]);
  return true;
}
