/** PostgreSQL: inserting new executions and claiming due ones. */
import { raw, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { ClaimRequest } from '@/server/engine/storage';
import type { DbExecutionRow, NewRowJson } from '../rows';
import { sortByReadyOrder, toNumber } from '../rows';
import { EXECUTION_COLUMNS_OF_T, INSERT_COLUMNS } from '../sqlFragments';
import { NOTIFY_CHANNEL, type PgDb } from './client';

/** The record type of a JSON batch of new rows (../rows.ts NewRowJson). */
const NEW_ROW_RECORD = raw(`r(execution_id text, task_id text, run_input text,
  root_task_id text, root_execution_id text, parent_task_id text, parent_execution_id text,
  index_in_parent integer, is_finalize_task boolean, retry_options text,
  sleep_ms_before_run bigint, timeout_ms bigint, start_at bigint, created_at bigint,
  ord integer, owner_execution_id text)`);

/**
 * `INSERT ... SELECT` of a JSON batch of new rows (status `ready`), optionally only those
 * matching `where` (over `r`). ready_seq comes from a sequence, in batch order.
 */
export function insertRowsSql(rows: NewRowJson[], where: Sql = sql`TRUE`): Sql {
  return sql`
    INSERT INTO task_executions ${INSERT_COLUMNS}
    SELECT r.execution_id, r.task_id, 'ready', r.run_input, r.root_task_id, r.root_execution_id,
      r.parent_task_id, r.parent_execution_id, r.index_in_parent, r.is_finalize_task,
      r.retry_options, r.sleep_ms_before_run, r.timeout_ms, 0, 0, r.start_at,
      nextval('task_executions_ready_seq'), 0, 0, 0, 'idle', r.created_at, r.created_at
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS ${NEW_ROW_RECORD}
    WHERE ${where}
    ORDER BY r.ord`;
}

/**
 * Inserts and announces in one statement: NOTIFY is transactional, so the notification is
 * delivered when the insert commits, without a round trip of its own on the enqueue path.
 */
export async function insertRowsAndNotify(
  db: PgDb,
  rows: NewRowJson[],
  payloads: string[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.$executeRaw`
    WITH inserted AS (${insertRowsSql(rows)})
    SELECT pg_notify(${NOTIFY_CHANNEL}, payload) FROM unnest(${payloads}::text[]) AS payload`;
}

/**
 * One statement: lock up to `limit` due rows, oldest first, skipping rows another claim has
 * locked (FOR UPDATE SKIP LOCKED), and move them to `running` with a new lease token.
 *
 * Its commit does not wait for the WAL flush (`synchronous_commit` off for this transaction
 * only): a claim is a lease, and one lost in a PostgreSQL crash leaves the row `ready` under
 * its old lease token, so it runs again and the first run's result is dropped by the lease
 * guard: the at-least-once of any crash. Enqueues and results still wait for the disk, and a
 * result's flush covers the claim before it.
 */
export async function claimReady(
  db: PgDb,
  { taskIds, limit, now, expireMs }: ClaimRequest,
): Promise<DbExecutionRow[]> {
  if (taskIds.length === 0 || limit <= 0) return [];
  const rows = await db.$queryRaw<DbExecutionRow[]>`
    WITH no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true)),
    picked AS (
      SELECT execution_id FROM task_executions
      WHERE status = 'ready' AND task_id = ANY(${[...taskIds]}::text[])
        AND start_at <= ${now}::bigint
      ORDER BY start_at, ready_seq
      LIMIT ${limit}::integer
      FOR UPDATE SKIP LOCKED
    )
    UPDATE task_executions AS t
    SET status = 'running', started_at = ${now}::bigint,
      expires_at = ${now}::bigint + t.timeout_ms + ${expireMs}::bigint,
      lease_token = t.lease_token + 1, updated_at = ${now}::bigint
    FROM picked, no_flush_wait
    WHERE t.execution_id = picked.execution_id AND t.status = 'ready'
    RETURNING ${EXECUTION_COLUMNS_OF_T}`;
  return sortByReadyOrder(rows);
}

export async function nextDueAt(db: PgDb, taskIds: readonly string[]): Promise<number | null> {
  if (taskIds.length === 0) return null;
  const rows = await db.$queryRaw<{ next: bigint | null }[]>`
    SELECT MIN(start_at) AS next FROM task_executions
    WHERE status = 'ready' AND task_id = ANY(${[...taskIds]}::text[])`;
  const next = rows[0]?.next ?? null;
  return next === null ? null : toNumber(next);
}
