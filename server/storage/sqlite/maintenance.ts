/** SQLite: lease recovery, reads and retention. */
import type { RecoverRequest, RecoverResult } from '@/server/engine/storage';
import type { DbExecutionRow } from '../rows';
import { errorJson, toNumber } from '../rows';
import { ACTIVE_STATUS_LIST, CLOSE_STATUS_ON_FINISH, EXECUTION_COLUMNS } from '../sqlFragments';
import type { SqliteDb } from './client';

type Ids = { execution_id: string }[];

/**
 * Running rows whose lease ended before `now`, oldest lease first: back to `ready` (a recovery
 * attempt used; ready_seq keeps the lease order) or `failed` when out of attempts. One statement.
 */
export async function recoverExpiredLeases(
  db: SqliteDb,
  { now, maxRecoveryAttempts, error, limit }: RecoverRequest,
): Promise<RecoverResult> {
  if (limit <= 0) return { requeuedExecutionIds: [], failedExecutionIds: [] };
  const rows = await db.$queryRaw<
    { execution_id: string; status: string; ready_seq: number | bigint }[]
  >`
    WITH picked AS (
      SELECT execution_id, ROW_NUMBER() OVER (ORDER BY expires_at) AS ord FROM task_executions
      WHERE status = 'running' AND expires_at < ${now}
      ORDER BY expires_at LIMIT ${limit}
    )
    UPDATE task_executions AS t
    SET error = ${errorJson(error)}, expires_at = NULL, updated_at = ${now},
      status = CASE WHEN t.recovery_attempts < ${maxRecoveryAttempts} THEN 'ready' ELSE 'failed' END,
      recovery_attempts = t.recovery_attempts + (t.recovery_attempts < ${maxRecoveryAttempts}),
      start_at = CASE WHEN t.recovery_attempts < ${maxRecoveryAttempts} THEN ${now} ELSE t.start_at END,
      ready_seq = CASE WHEN t.recovery_attempts < ${maxRecoveryAttempts}
        THEN (SELECT COALESCE(MAX(ready_seq), 0) FROM task_executions) + picked.ord
        ELSE t.ready_seq END,
      finished_at = CASE WHEN t.recovery_attempts < ${maxRecoveryAttempts} THEN t.finished_at ELSE ${now} END,
      close_status = CASE WHEN t.recovery_attempts < ${maxRecoveryAttempts}
        THEN t.close_status ELSE ${CLOSE_STATUS_ON_FINISH} END
    FROM picked
    WHERE t.execution_id = picked.execution_id
    RETURNING execution_id, status, ready_seq`;
  rows.sort((a, b) => toNumber(a.ready_seq) - toNumber(b.ready_seq));
  return {
    requeuedExecutionIds: rows
      .filter((row) => row.status === 'ready')
      .map((row) => row.execution_id),
    failedExecutionIds: rows
      .filter((row) => row.status === 'failed')
      .map((row) => row.execution_id),
  };
}

export async function getExecution(db: SqliteDb, executionId: string) {
  const rows = await db.$queryRaw<DbExecutionRow[]>`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions WHERE execution_id = ${executionId}`;
  return rows[0] ?? null;
}

export function getExecutions(db: SqliteDb, executionIds: readonly string[]) {
  if (executionIds.length === 0) return Promise.resolve([] as DbExecutionRow[]);
  return db.$queryRaw<DbExecutionRow[]>`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions WHERE execution_id IN (SELECT value FROM json_each(${JSON.stringify(executionIds)}))`;
}

export function getChildren(db: SqliteDb, parentExecutionId: string) {
  return db.$queryRaw<DbExecutionRow[]>`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions
    WHERE parent_execution_id = ${parentExecutionId} AND is_finalize_task = FALSE
    ORDER BY index_in_parent`;
}

export async function listExecutionsToClose(db: SqliteDb, limit: number): Promise<string[]> {
  const rows = await db.$queryRaw<Ids>`
    SELECT execution_id FROM task_executions WHERE close_status = 'ready'
    ORDER BY updated_at LIMIT ${limit}`;
  return rows.map((row) => row.execution_id);
}

export async function listParentsReadyToAdvance(db: SqliteDb, limit: number): Promise<string[]> {
  const rows = await db.$queryRaw<Ids>`
    SELECT execution_id FROM task_executions
    WHERE status = 'waiting_for_children_tasks' AND finished_children_count >= children_count
    ORDER BY updated_at LIMIT ${limit}`;
  return rows.map((row) => row.execution_id);
}

/** Of `running`, the ids no longer running with that lease token (one query). */
export async function findLostRunningExecutions(
  db: SqliteDb,
  running: { executionId: string; leaseToken: number }[],
): Promise<string[]> {
  if (running.length === 0) return [];
  const ids = JSON.stringify(running.map((entry) => entry.executionId));
  const rows = await db.$queryRaw<{ execution_id: string; lease_token: number | bigint }[]>`
    SELECT execution_id, lease_token FROM task_executions
    WHERE execution_id IN (SELECT value FROM json_each(${ids})) AND status = 'running'`;
  const tokens = new Map(rows.map((row) => [row.execution_id, toNumber(row.lease_token)]));
  return running
    .filter(({ executionId, leaseToken }) => tokens.get(executionId) !== leaseToken)
    .map(({ executionId }) => executionId);
}

/**
 * Deletes up to `limit` whole finished trees: roots finished before `olderThan` whose every
 * member is finished and followed up (none active, none waiting for its close).
 */
export function pruneFinishedTrees(db: SqliteDb, olderThan: number, limit: number) {
  return db.$executeRaw`
    WITH roots AS (
      SELECT r.execution_id FROM task_executions AS r
      WHERE r.finished_at < ${olderThan} AND r.parent_execution_id IS NULL
        AND r.status NOT IN ${ACTIVE_STATUS_LIST} AND r.close_status <> 'ready'
        AND NOT EXISTS (
          SELECT 1 FROM task_executions AS d
          WHERE d.root_execution_id = r.execution_id
            AND (d.status IN ${ACTIVE_STATUS_LIST} OR d.close_status = 'ready'))
      LIMIT ${limit}
    )
    DELETE FROM task_executions
    WHERE execution_id IN (SELECT execution_id FROM roots)
      OR root_execution_id IN (SELECT execution_id FROM roots)`;
}
