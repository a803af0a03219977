/**
 * SQLite: applying a batch of run results in one transaction of two statements: one guarded
 * UPDATE ... FROM json_each over every result (status `running` and the same lease token, or
 * the result is dropped), then one INSERT of the children / finalize rows of the results that
 * applied. The UPDATE comes first, so the transaction takes the write lock before reading.
 * `+t.status` keeps SQLite from driving the join by the status index (every running row,
 * each re-reading the whole JSON batch): the batch drives it, one primary-key lookup a row.
 */
import type { DbExecutionRow } from '../rows';
import type { RunResultsPlan } from '../runResults';
import { CLOSE_STATUS_ON_FINISH, EXECUTION_COLUMNS } from '../sqlFragments';
import type { SqliteDb } from './client';
import { insertRows } from './enqueue';

export async function applyRunResults(
  db: SqliteDb,
  { updates, newRows }: RunResultsPlan,
  now: number,
): Promise<DbExecutionRow[]> {
  if (updates.length === 0) return [];
  const applied = await db.$queryRaw<DbExecutionRow[]>`
    UPDATE task_executions AS t SET
      status = v.status,
      run_output = CASE WHEN v.kind IN ('completed', 'waiting_for_children', 'waiting_for_finalize')
        THEN v.run_output ELSE t.run_output END,
      output = CASE WHEN v.kind = 'completed' THEN v.output ELSE t.output END,
      error = CASE WHEN v.kind IN ('retry', 'finished_with_error') THEN v.error ELSE t.error END,
      retry_attempts = t.retry_attempts + (v.kind = 'retry'),
      start_at = CASE WHEN v.kind = 'retry' THEN v.start_at ELSE t.start_at END,
      ready_seq = CASE WHEN v.kind = 'retry'
        THEN (SELECT COALESCE(MAX(ready_seq), 0) FROM task_executions) + v.ord
        ELSE t.ready_seq END,
      children_count = CASE WHEN v.kind = 'waiting_for_children'
        THEN v.children_count ELSE t.children_count END,
      finished_children_count = CASE WHEN v.kind = 'waiting_for_children'
        THEN 0 ELSE t.finished_children_count END,
      finalize_task_execution_id = CASE WHEN v.kind = 'waiting_for_finalize'
        THEN v.finalize_execution_id ELSE t.finalize_task_execution_id END,
      finalize_task_id = CASE WHEN v.kind = 'waiting_for_finalize'
        THEN v.finalize_task_id ELSE t.finalize_task_id END,
      finished_at = CASE WHEN v.finished THEN ${now} ELSE t.finished_at END,
      close_status = CASE WHEN v.finished THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END,
      expires_at = NULL,
      updated_at = ${now}
    FROM (
      SELECT r.value ->> 'execution_id' AS execution_id, r.value ->> 'lease_token' AS lease_token,
        r.value ->> 'kind' AS kind, r.value ->> 'status' AS status,
        r.value ->> 'finished' AS finished, r.value ->> 'output' AS output,
        r.value ->> 'run_output' AS run_output, r.value ->> 'error' AS error,
        r.value ->> 'start_at' AS start_at, r.value ->> 'children_count' AS children_count,
        r.value ->> 'finalize_execution_id' AS finalize_execution_id,
        r.value ->> 'finalize_task_id' AS finalize_task_id, r.value ->> 'ord' AS ord
      FROM json_each(${JSON.stringify(updates)}) AS r
    ) AS v
    WHERE t.execution_id = v.execution_id AND +t.status = 'running'
      AND t.lease_token = v.lease_token
    RETURNING ${EXECUTION_COLUMNS}`;
  if (applied.length > 0 && newRows.length > 0) {
    // Same transaction, write lock held: the owners' updates above are what guard these rows.
    const owners = new Set(applied.map((row) => row.execution_id));
    await insertRows(
      db,
      newRows.filter((row) => row.owner_execution_id && owners.has(row.owner_execution_id)),
    );
  }
  return applied;
}
