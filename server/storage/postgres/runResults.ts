/**
 * PostgreSQL: a batch of run results in ONE statement. A guarded UPDATE ... FROM the JSON
 * batch (status `running` and the same lease token, or the result is dropped) and, in a
 * data-modifying CTE of the same statement, the INSERT of every child / finalize row whose
 * owner's update succeeded: atomic without an explicit transaction.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { DbExecutionRow } from '../rows';
import type { RunResultsPlan } from '../runResults';
import {
  ACTIVE_STATUS_LIST,
  CLOSE_STATUS_ON_FINISH,
  EXECUTION_COLUMNS,
  EXECUTION_COLUMNS_OF_T,
} from '../sqlFragments';
import { NOTIFY_CHANNEL, type PgDb } from './client';
import { insertRowsSql } from './enqueue';

/**
 * Finished ids are announced by the statement itself (NOTIFY is delivered at its commit)
 * when they fit one payload (PostgreSQL's limit is 8000 bytes); otherwise by the caller, in
 * chunks. `inlineNotifiable` is the same rule in JavaScript. The finished rows ride along
 * when they fit too, so a waiter in another process returns without reading its row back.
 */
const MAX_INLINE_IDS_BYTES = 7_000;

export function inlineNotifiable(executionIds: readonly string[]): boolean {
  const bytes = executionIds.reduce((sum, id) => sum + Buffer.byteLength(id) + 3, 0);
  return bytes <= MAX_INLINE_IDS_BYTES;
}

export function applyRunResults(
  db: PgDb,
  { updates, newRows }: RunResultsPlan,
  now: number,
  origin: string,
): Promise<DbExecutionRow[]> {
  const insertChildren = insertRowsSql(
    newRows,
    sql`r.owner_execution_id IN (SELECT execution_id FROM upd)`,
  );
  return db.$queryRaw<DbExecutionRow[]>`
    WITH v AS (
      SELECT * FROM json_to_recordset(${JSON.stringify(updates)}::json) AS v(
        execution_id text, lease_token integer, kind text, status text, finished boolean,
        output text, run_output text, error text, start_at bigint, children_count integer,
        finalize_execution_id text, finalize_task_id text, ord integer)
    ),
    upd AS (
      UPDATE task_executions AS t SET
        status = v.status,
        run_output = CASE WHEN v.kind IN ('completed', 'waiting_for_children', 'waiting_for_finalize')
          THEN v.run_output ELSE t.run_output END,
        output = CASE WHEN v.kind = 'completed' THEN v.output ELSE t.output END,
        error = CASE WHEN v.kind IN ('retry', 'finished_with_error') THEN v.error ELSE t.error END,
        retry_attempts = t.retry_attempts + (v.kind = 'retry')::integer,
        start_at = CASE WHEN v.kind = 'retry' THEN v.start_at ELSE t.start_at END,
        ready_seq = CASE WHEN v.kind = 'retry'
          THEN nextval('task_executions_ready_seq') ELSE t.ready_seq END,
        children_count = CASE WHEN v.kind = 'waiting_for_children'
          THEN v.children_count ELSE t.children_count END,
        finished_children_count = CASE WHEN v.kind = 'waiting_for_children'
          THEN 0 ELSE t.finished_children_count END,
        finalize_task_execution_id = CASE WHEN v.kind = 'waiting_for_finalize'
          THEN v.finalize_execution_id ELSE t.finalize_task_execution_id END,
        finalize_task_id = CASE WHEN v.kind = 'waiting_for_finalize'
          THEN v.finalize_task_id ELSE t.finalize_task_id END,
        finished_at = CASE WHEN v.finished THEN ${now}::bigint ELSE t.finished_at END,
        close_status = CASE WHEN v.finished THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END,
        expires_at = NULL,
        updated_at = ${now}::bigint
      FROM v
      WHERE t.execution_id = v.execution_id AND t.status = 'running'
        AND t.lease_token = v.lease_token
      RETURNING ${EXECUTION_COLUMNS_OF_T}
    ),
    ins AS (${insertChildren}),
    finished AS (
      SELECT execution_id, row_to_json(upd)::text AS row_json FROM upd
      WHERE status NOT IN ${ACTIVE_STATUS_LIST}
    ),
    finished_note AS (
      SELECT pg_notify(${NOTIFY_CHANNEL}, json_build_object('type', 'finished',
        'executionIds', json_agg(execution_id), 'origin', ${origin}::text,
        'rows', CASE WHEN sum(octet_length(execution_id) + octet_length(row_json) + 4)
          <= ${MAX_INLINE_IDS_BYTES} THEN json_agg(row_json::json) END)::text)
      FROM finished
      HAVING count(*) > 0 AND sum(octet_length(execution_id) + 3) <= ${MAX_INLINE_IDS_BYTES}
    ),
    ready_note AS (
      SELECT pg_notify(${NOTIFY_CHANNEL}, json_build_object('type', 'work_ready',
        'origin', ${origin}::text)::text)
      FROM upd WHERE status IN ${ACTIVE_STATUS_LIST} HAVING count(*) > 0
    )
    -- The notes are referenced so that PostgreSQL evaluates them (once: they are uncorrelated).
    SELECT ${EXECUTION_COLUMNS},
      (SELECT count(*) FROM finished_note) + (SELECT count(*) FROM ready_note) AS notes
    FROM upd`;
}
