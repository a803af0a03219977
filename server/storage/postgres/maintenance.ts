/** PostgreSQL: lease recovery, reads and retention. */
import type { RecoverRequest, RecoverResult } from '@/server/engine/storage';
import type { DbExecutionRow } from '../rows';
import { errorJson, toNumber } from '../rows';
import { ACTIVE_STATUS_LIST, CLOSE_STATUS_ON_FINISH, EXECUTION_COLUMNS } from '../sqlFragments';
import type { PgDb } from './client';

type Ids = { execution_id: string }[];

/**
 * Running rows whose lease ended before `now`, oldest lease first, locked with SKIP LOCKED (a
 * row being finished right now is left to its owner): back to `ready` (a recovery attempt
 * used) or `failed` when out of attempts. One statement.
 */
export async function recoverExpiredLeases(
  db: PgDb,
  { now, maxRecoveryAttempts, error, limit }: RecoverRequest,
): Promise<RecoverResult> {
  if (limit <= 0) return { requeuedExecutionIds: [], failedExecutionIds: [] };
  const max = maxRecoveryAttempts;
  const rows = await db.$queryRaw<{ execution_id: string; status: string; expired_at: bigint }[]>`
    WITH picked AS (
      SELECT execution_id, expires_at FROM task_executions
      WHERE status = 'running' AND expires_at < ${now}::bigint
      ORDER BY expires_at LIMIT ${limit}::integer
      FOR UPDATE SKIP LOCKED
    )
    UPDATE task_executions AS t
    SET error = ${errorJson(error)}, expires_at = NULL, updated_at = ${now}::bigint,
      status = CASE WHEN t.recovery_attempts < ${max}::integer THEN 'ready' ELSE 'failed' END,
      recovery_attempts = t.recovery_attempts + (t.recovery_attempts < ${max}::integer)::integer,
      start_at = CASE WHEN t.recovery_attempts < ${max}::integer THEN ${now}::bigint ELSE t.start_at END,
      ready_seq = CASE WHEN t.recovery_attempts < ${max}::integer
        THEN nextval('task_executions_ready_seq') ELSE t.ready_seq END,
      finished_at = CASE WHEN t.recovery_attempts < ${max}::integer THEN t.finished_at ELSE ${now}::bigint END,
      close_status = CASE WHEN t.recovery_attempts < ${max}::integer
        THEN t.close_status ELSE ${CLOSE_STATUS_ON_FINISH} END
    FROM picked
    WHERE t.execution_id = picked.execution_id
    RETURNING t.execution_id, t.status, picked.expires_at AS expired_at`;
  rows.sort((a, b) => toNumber(a.expired_at) - toNumber(b.expired_at));
  return {
    requeuedExecutionIds: rows
      .filter((row) => row.status === 'ready')
      .map((row) => row.execution_id),
    failedExecutionIds: rows
      .filter((row) => row.status === 'failed')
      .map((row) => row.execution_id),
  };
}

export async function getExecution(db: PgDb, executionId: string) {
  const rows = await db.$queryRaw<DbExecutionRow[]>`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions WHERE execution_id = ${executionId}`;
  return rows[0] ?? null;
}

export function getExecutions(db: PgDb, executionIds: readonly string[]) {
  if (executionIds.length === 0) return Promise.resolve([] as DbExecutionRow[]);
  return db.$queryRaw<DbExecutionRow[]>`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions WHERE execution_id = ANY(${[...executionIds]}::text[])`;
}

export function getChildren(db: PgDb, parentExecutionId: string) {
  return db.$queryRaw<DbExecutionRow[]>`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions
    WHERE parent_execution_id = ${parentExecutionId} AND is_finalize_task = FALSE
    ORDER BY index_in_parent`;
}

export async function listExecutionsToClose(db: PgDb, limit: number): Promise<string[]> {
  const rows = await db.$queryRaw<Ids>`
    SELECT execution_id FROM task_executions WHERE close_status = 'ready'
    ORDER BY updated_at LIMIT ${limit}::integer`;
  return rows.map((row) => row.execution_id);
}

export async function listParentsReadyToAdvance(db: PgDb, limit: number): Promise<string[]> {
  const rows = await db.$queryRaw<Ids>`
    SELECT execution_id FROM task_executions
    WHERE status = 'waiting_for_children_tasks' AND finished_children_count >= children_count
    ORDER BY updated_at LIMIT ${limit}::integer`;
  return rows.map((row) => row.execution_id);
}

/** Of `running`, the ids no longer running with that lease token (one query). */
export async function findLostRunningExecutions(
  db: PgDb,
  running: { executionId: string; leaseToken: number }[],
): Promise<string[]> {
  if (running.length === 0) return [];
  const ids = running.map((entry) => entry.executionId);
  const rows = await db.$queryRaw<{ execution_id: string; lease_token: number }[]>`
    SELECT execution_id, lease_token FROM task_executions
    WHERE execution_id = ANY(${ids}::text[]) AND status = 'running'`;
  const tokens = new Map(rows.map((row) => [row.execution_id, toNumber(row.lease_token)]));
  return running
    .filter(({ executionId, leaseToken }) => tokens.get(executionId) !== leaseToken)
    .map(({ executionId }) => executionId);
}

/**
 * Deletes up to `limit` whole finished trees: roots finished before `olderThan` whose every
 * member is finished and followed up. No lock needed: a finished tree never gains members
 * or becomes active again (rows are only inserted under an active parent).
 */
export function pruneFinishedTrees(db: PgDb, olderThan: number, limit: number) {
  return db.$executeRaw`
    WITH roots AS (
      SELECT r.execution_id FROM task_executions AS r
      WHERE r.finished_at < ${olderThan}::bigint AND r.parent_execution_id IS NULL
        AND r.status NOT IN ${ACTIVE_STATUS_LIST} AND r.close_status <> 'ready'
        AND NOT EXISTS (
          SELECT 1 FROM task_executions AS d
          WHERE d.root_execution_id = r.execution_id
            AND (d.status IN ${ACTIVE_STATUS_LIST} OR d.close_status = 'ready'))
      LIMIT ${limit}::integer
    )
    DELETE FROM task_executions
    WHERE execution_id IN (SELECT execution_id FROM roots)
      OR root_execution_id IN (SELECT execution_id FROM roots)`;
}
