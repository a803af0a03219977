/**
 * PostgreSQL: the statements of closeExecution (orchestrated by ../closeExecution.ts),
 * cascading cancellation, cancelExecution and advanceParent, under READ COMMITTED.
 * Locks are taken top-down where it matters (a close locks the parent before the child,
 * like a cancel of the parent does), and a deadlock that still happens is retried whole.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import { CASCADE_CANCELLED_ERROR } from '@/server/engine/storage';
import type { CloseResult, ParentAdvance } from '@/server/engine/storage';
import type { ChildTaskError, TaskExecutionStatus } from '@/server/engine/types';
import { CHILDREN_TASKS_FAILED_ERROR_JSON } from '../closeExecution';
import type { CloseStatements } from '../closeExecution';
import type { DbExecutionRow } from '../rows';
import { errorJson, toNewRowJson, toNumber } from '../rows';
import { ACTIVE_STATUS_LIST, CLOSE_STATUS_ON_FINISH, EXECUTION_COLUMNS } from '../sqlFragments';
import type { PgDb } from './client';
import { insertRowsSql } from './enqueue';

type Ids = { execution_id: string }[];

const CANCEL_SET = (now: number) => sql`
  status = 'cancelled', error = ${errorJson(CASCADE_CANCELLED_ERROR)}, finished_at = ${now}::bigint,
  updated_at = ${now}::bigint, expires_at = NULL, close_status = 'closed'`;

/**
 * Cancels every active descendant (children and finalize tasks, recursively) with one
 * recursive CTE. Its snapshot may miss children committed by a concurrent run result while
 * the statement waited for their parent's row lock, so a follow-up statement cancels active
 * children of everything cancelled, until it finds none (usually at once).
 */
export async function cancelDescendants(db: PgDb, rootId: string, now: number) {
  const cancelled = (
    await db.$queryRaw<Ids>`
      WITH RECURSIVE tree(execution_id) AS (
        SELECT execution_id FROM task_executions
        WHERE parent_execution_id = ${rootId} AND status IN ${ACTIVE_STATUS_LIST}
        UNION ALL
        SELECT c.execution_id FROM task_executions AS c
        JOIN tree ON c.parent_execution_id = tree.execution_id
        WHERE c.status IN ${ACTIVE_STATUS_LIST}
      )
      UPDATE task_executions SET ${CANCEL_SET(now)}
      WHERE execution_id IN (SELECT execution_id FROM tree) AND status IN ${ACTIVE_STATUS_LIST}
      RETURNING execution_id`
  ).map((row) => row.execution_id);
  for (let frontier = [rootId, ...cancelled]; frontier.length > 0;) {
    const missed = await db.$queryRaw<Ids>`
      UPDATE task_executions SET ${CANCEL_SET(now)}
      WHERE parent_execution_id = ANY(${frontier}::text[]) AND status IN ${ACTIVE_STATUS_LIST}
      RETURNING execution_id`;
    frontier = missed.map((row) => row.execution_id);
    cancelled.push(...frontier);
  }
  return cancelled;
}

export function closeStatements(db: PgDb): CloseStatements {
  return {
    async markClosed(executionId) {
      await db.$queryRaw`
        SELECT execution_id FROM task_executions
        WHERE execution_id = (SELECT parent_execution_id FROM task_executions
          WHERE execution_id = ${executionId} AND close_status = 'ready')
        FOR UPDATE`;
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
          output = CASE WHEN ${update.status}::text = 'completed' THEN ${update.output}::text ELSE t.output END,
          error = COALESCE(${update.error}::text, t.error),
          finalize_task_error = COALESCE(${update.finalizeTaskError}::text, t.finalize_task_error),
          finished_at = ${now}::bigint, updated_at = ${now}::bigint, expires_at = NULL,
          close_status = ${CLOSE_STATUS_ON_FINISH}
        WHERE execution_id = ${parentId} AND status = 'waiting_for_finalize_task'
        RETURNING execution_id`;
      return rows.length > 0;
    },
    async countCompletedChild(parentId, now) {
      const rows = await db.$queryRaw<
        { status: string; finished_children_count: number; children_count: number }[]
      >`
        UPDATE task_executions
        SET finished_children_count = finished_children_count + 1, updated_at = ${now}::bigint
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
        SELECT status, children_tasks_errors FROM task_executions
        WHERE execution_id = ${parentId} FOR UPDATE`;
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
        SET finished_children_count = t.finished_children_count + 1, updated_at = ${now}::bigint,
          children_tasks_errors = COALESCE(${errors}::text, t.children_tasks_errors),
          status = CASE WHEN ${fail}::boolean THEN 'children_tasks_failed' ELSE t.status END,
          error = CASE WHEN ${fail}::boolean THEN ${CHILDREN_TASKS_FAILED_ERROR_JSON}::text ELSE t.error END,
          finished_at = CASE WHEN ${fail}::boolean THEN ${now}::bigint ELSE t.finished_at END,
          expires_at = CASE WHEN ${fail}::boolean THEN NULL ELSE t.expires_at END,
          close_status = CASE WHEN ${fail}::boolean THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END
        WHERE execution_id = ${parentId}`;
    },
  };
}

/**
 * The common close in one statement, for a whole batch: completed children (not finalize
 * tasks) mark themselves closed and are counted in their parents. Returns each closed id's
 * result; the general transaction decides for the other ids.
 */
export async function closeCompletedChildren(
  db: PgDb,
  executionIds: readonly string[],
  now: number,
): Promise<Map<string, CloseResult>> {
  const rows = await db.$queryRaw<
    {
      execution_id: string;
      parent_execution_id: string;
      status: string | null;
      finished_children_count: number | null;
      children_count: number | null;
    }[]
  >`
    WITH closed AS (
      UPDATE task_executions SET close_status = 'closed'
      WHERE execution_id = ANY(${[...executionIds]}::text[]) AND close_status = 'ready'
        AND status = 'completed' AND is_finalize_task = FALSE AND parent_execution_id IS NOT NULL
      RETURNING execution_id, parent_execution_id
    ),
    per_parent AS (
      SELECT parent_execution_id, count(*) AS n FROM closed GROUP BY parent_execution_id
    ),
    counted AS (
      UPDATE task_executions AS p
      SET finished_children_count = p.finished_children_count + per_parent.n,
        updated_at = ${now}::bigint
      FROM per_parent WHERE p.execution_id = per_parent.parent_execution_id
      RETURNING p.execution_id, p.status, p.finished_children_count, p.children_count
    )
    SELECT closed.execution_id, closed.parent_execution_id,
      counted.status, counted.finished_children_count, counted.children_count
    FROM closed LEFT JOIN counted ON counted.execution_id = closed.parent_execution_id`;
  const results = new Map<string, CloseResult>();
  const reported = new Set<string>();
  // Each ready parent is reported once, by the last of its children in the batch (the one
  // whose count completed it, as when closing one at a time).
  const order = new Map(executionIds.map((id, index) => [id, index]));
  rows.sort((a, b) => (order.get(b.execution_id) ?? 0) - (order.get(a.execution_id) ?? 0));
  for (const row of rows) {
    const ready =
      row.status === 'waiting_for_children_tasks' &&
      toNumber(row.finished_children_count ?? 0) >= toNumber(row.children_count ?? 0) &&
      !reported.has(row.parent_execution_id);
    if (ready) reported.add(row.parent_execution_id);
    results.set(row.execution_id, {
      cancelledExecutionIds: [],
      finishedParentExecutionId: null,
      parentReadyToAdvanceExecutionId: ready ? row.parent_execution_id : null,
    });
  }
  return results;
}

/** Target `cancelled` with closeStatus `ready`, then its active descendants. */
export async function cancelExecution(
  db: PgDb,
  executionId: string,
  error: DurableExecutionErrorStorageValue,
  now: number,
): Promise<string[]> {
  const target = await db.$queryRaw<Ids>`
    UPDATE task_executions
    SET status = 'cancelled', error = ${errorJson(error)}, finished_at = ${now}::bigint,
      updated_at = ${now}::bigint, expires_at = NULL, close_status = 'ready'
    WHERE execution_id = ${executionId} AND status IN ${ACTIVE_STATUS_LIST}
    RETURNING execution_id`;
  if (target.length === 0) return [];
  return [executionId, ...(await cancelDescendants(db, executionId, now))];
}

/**
 * Guarded on `waiting_for_children_tasks` with every child finished; a finalize row is
 * inserted by the same statement, only when the guarded update succeeded.
 */
export async function advanceParent(
  db: PgDb,
  executionId: string,
  advance: ParentAdvance,
  now: number,
): Promise<boolean> {
  const finalize = advance.kind === 'waiting_for_finalize' ? advance.finalize : null;
  const finish = advance.kind !== 'waiting_for_finalize';
  const status = finalize ? 'waiting_for_finalize_task' : advance.kind;
  const output = advance.kind === 'completed' ? advance.output : null;
  const error = advance.kind === 'failed' ? errorJson(advance.error) : null;
  const insertFinalize = insertRowsSql(
    finalize ? [toNewRowJson(finalize, 1)] : [],
    sql`EXISTS (SELECT 1 FROM upd)`,
  );
  const rows = await db.$queryRaw<Ids>`
    WITH upd AS (
      UPDATE task_executions AS t
      SET status = ${status},
        output = CASE WHEN ${advance.kind === 'completed'}::boolean THEN ${output}::text ELSE t.output END,
        error = CASE WHEN ${advance.kind === 'failed'}::boolean THEN ${error}::text ELSE t.error END,
        finalize_task_execution_id = COALESCE(${finalize?.executionId ?? null}::text, t.finalize_task_execution_id),
        finalize_task_id = COALESCE(${finalize?.taskId ?? null}::text, t.finalize_task_id),
        finished_at = CASE WHEN ${finish}::boolean THEN ${now}::bigint ELSE t.finished_at END,
        expires_at = CASE WHEN ${finish}::boolean THEN NULL ELSE t.expires_at END,
        close_status = CASE WHEN ${finish}::boolean THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END,
        updated_at = ${now}::bigint
      WHERE execution_id = ${executionId} AND status = 'waiting_for_children_tasks'
        AND finished_children_count >= children_count
      RETURNING execution_id
    ),
    ins AS (${insertFinalize})
    SELECT execution_id FROM upd`;
  return rows.length > 0;
}
