/** SQLite: inserting new executions and claiming due ones. */
import type { ClaimRequest } from '@/server/engine/storage';
import type { DbExecutionRow, NewRowJson } from '../rows';
import { sortByReadyOrder, toNumber } from '../rows';
import { EXECUTION_COLUMNS, INSERT_COLUMNS } from '../sqlFragments';
import type { SqliteDb } from './client';

/**
 * Inserts `rows` (status `ready`) in one statement. ready_seq continues after the largest in
 * use: safe because writers hold the database's write lock.
 */
export async function insertRows(db: SqliteDb, rows: NewRowJson[]): Promise<void> {
  if (rows.length === 0) return;
  await db.$executeRaw`
    INSERT INTO task_executions ${INSERT_COLUMNS}
    SELECT
      r.value ->> 'execution_id', r.value ->> 'task_id', 'ready', r.value ->> 'run_input',
      r.value ->> 'root_task_id', r.value ->> 'root_execution_id', r.value ->> 'parent_task_id',
      r.value ->> 'parent_execution_id', r.value ->> 'index_in_parent',
      r.value ->> 'is_finalize_task', r.value ->> 'retry_options',
      r.value ->> 'sleep_ms_before_run', r.value ->> 'timeout_ms', 0, 0, r.value ->> 'start_at',
      base.seq + (r.value ->> 'ord'), 0, 0, 0, 'idle', r.value ->> 'created_at',
      r.value ->> 'created_at'
    FROM json_each(${JSON.stringify(rows)}) AS r,
      (SELECT COALESCE(MAX(ready_seq), 0) AS seq FROM task_executions) AS base`;
}

/**
 * One UPDATE ... WHERE execution_id IN (due rows, oldest first, LIMIT n) RETURNING *. The
 * statement runs under the write lock, so two processes can never claim the same row.
 */
export async function claimReady(
  db: SqliteDb,
  { taskIds, limit, now, expireMs }: ClaimRequest,
): Promise<DbExecutionRow[]> {
  if (taskIds.length === 0 || limit <= 0) return [];
  const rows = await db.$queryRaw<DbExecutionRow[]>`
    UPDATE task_executions
    SET status = 'running', started_at = ${now}, expires_at = ${now} + timeout_ms + ${expireMs},
      lease_token = lease_token + 1, updated_at = ${now}
    WHERE execution_id IN (
      SELECT execution_id FROM task_executions
      WHERE status = 'ready' AND task_id IN (SELECT value FROM json_each(${JSON.stringify(taskIds)}))
        AND start_at <= ${now}
      ORDER BY start_at, ready_seq
      LIMIT ${limit})
    RETURNING ${EXECUTION_COLUMNS}`;
  return sortByReadyOrder(rows);
}

export async function nextDueAt(db: SqliteDb, taskIds: readonly string[]): Promise<number | null> {
  if (taskIds.length === 0) return null;
  const rows = await db.$queryRaw<{ next: number | bigint | null }[]>`
    SELECT MIN(start_at) AS next FROM task_executions
    WHERE status = 'ready' AND task_id IN (SELECT value FROM json_each(${JSON.stringify(taskIds)}))`;
  const next = rows[0]?.next ?? null;
  return next === null ? null : toNumber(next);
}
