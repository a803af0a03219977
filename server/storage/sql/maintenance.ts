/** Lease recovery, the engine's reads, and retention: one statement each. */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { RecoverRequest, RecoverResult } from '@/server/engine/storage';
import type { DbExecutionRow } from '../rows';
import { errorJson, toNumber } from '../rows';
import type { Dialect } from './dialect';
import {
  ACTIVE_STATUS_LIST,
  bigint,
  CLOSE_STATUS_ON_FINISH,
  EXECUTION_COLUMNS,
  text,
} from './fragments';
import { execute, single, type Program } from './program';

type Ids = { execution_id: string }[];
const ids = (rows: Ids): string[] => rows.map((row) => row.execution_id);

/**
 * Running rows whose lease ended before `now`, oldest lease first (rows being finished right
 * now are skipped where rows lock: their owner decides): back to `ready`, a recovery attempt
 * used and the lease order kept, or `failed` when out of attempts.
 */
export function recoverExpiredLeases(
  d: Dialect,
  { now, maxRecoveryAttempts, error, limit }: RecoverRequest,
): Program<RecoverResult> {
  const requeue = sql`t.recovery_attempts < ${bigint(maxRecoveryAttempts)}`;
  return single(
    sql`
      WITH locked AS MATERIALIZED (
        SELECT execution_id AS picked_id, expires_at FROM ${d.executions}
        WHERE status = 'running' AND expires_at < ${bigint(now)}
        ORDER BY expires_at LIMIT ${bigint(limit)}
        ${d.skipLocked}
      ),
      picked AS (
        SELECT picked_id, ROW_NUMBER() OVER (ORDER BY expires_at) AS ord FROM locked
      )
      UPDATE ${d.executions} AS t
      SET error = ${text(errorJson(error))}, expires_at = NULL, updated_at = ${bigint(now)},
        status = CASE WHEN ${requeue} THEN 'ready' ELSE 'failed' END,
        recovery_attempts = t.recovery_attempts + CASE WHEN ${requeue} THEN 1 ELSE 0 END,
        start_at = CASE WHEN ${requeue} THEN ${bigint(now)} ELSE t.start_at END,
        ready_seq = CASE WHEN ${requeue} THEN ${d.readySeq(sql`picked.ord`)} ELSE t.ready_seq END,
        finished_at = CASE WHEN ${requeue} THEN t.finished_at ELSE ${bigint(now)} END,
        close_status = CASE WHEN ${requeue} THEN t.close_status ELSE ${CLOSE_STATUS_ON_FINISH} END
      FROM picked
      WHERE t.execution_id = picked.picked_id
      RETURNING execution_id, status`,
    (rows: { execution_id: string; status: string }[]) => ({
      requeuedExecutionIds: rows.filter((r) => r.status === 'ready').map((r) => r.execution_id),
      failedExecutionIds: rows.filter((r) => r.status === 'failed').map((r) => r.execution_id),
    }),
  );
}

export function getExecutions(
  d: Dialect,
  executionIds: readonly string[],
): Program<DbExecutionRow[]> {
  return single(
    sql`SELECT ${EXECUTION_COLUMNS} FROM ${d.executions}
      WHERE ${d.inList(sql`execution_id`, executionIds)}`,
    (rows: DbExecutionRow[]) => rows,
  );
}

export function getExecution(d: Dialect, executionId: string): Program<DbExecutionRow | null> {
  return single(
    sql`SELECT ${EXECUTION_COLUMNS} FROM ${d.executions} WHERE execution_id = ${executionId}`,
    (rows: DbExecutionRow[]) => rows[0] ?? null,
  );
}

/** Children (not the finalize task) of a parent, by index. */
export function getChildren(d: Dialect, parentExecutionId: string): Program<DbExecutionRow[]> {
  return single(
    sql`SELECT ${EXECUTION_COLUMNS} FROM ${d.executions}
      WHERE parent_execution_id = ${parentExecutionId} AND is_finalize_task = FALSE
      ORDER BY index_in_parent`,
    (rows: DbExecutionRow[]) => rows,
  );
}

export function listExecutionsToClose(d: Dialect, limit: number): Program<string[]> {
  return single(
    sql`SELECT execution_id FROM ${d.executions} WHERE close_status = 'ready'
      ORDER BY updated_at LIMIT ${bigint(limit)}`,
    ids,
  );
}

export function listParentsReadyToAdvance(d: Dialect, limit: number): Program<string[]> {
  return single(
    sql`SELECT execution_id FROM ${d.executions}
      WHERE status = 'waiting_for_children_tasks' AND finished_children_count >= children_count
      ORDER BY updated_at LIMIT ${bigint(limit)}`,
    ids,
  );
}

/** Of `running`, the ids no longer running with that lease token. */
export function findLostRunningExecutions(
  d: Dialect,
  running: { executionId: string; leaseToken: number }[],
): Program<string[]> {
  return single(
    sql`SELECT execution_id, lease_token FROM ${d.executions}
      WHERE ${d.inList(
        sql`execution_id`,
        running.map((entry) => entry.executionId),
      )} AND status = 'running'`,
    (rows: { execution_id: string; lease_token: number | bigint }[]) => {
      const tokens = new Map(rows.map((row) => [row.execution_id, toNumber(row.lease_token)]));
      return running
        .filter(({ executionId, leaseToken }) => tokens.get(executionId) !== leaseToken)
        .map(({ executionId }) => executionId);
    },
  );
}

/**
 * Deletes up to `limit` whole finished trees: roots finished before `olderThan` whose every
 * member is finished and followed up (none active, none waiting for its close). No lock is
 * needed: a finished tree never gains members or becomes active again (rows are only
 * inserted under an active parent).
 */
export function* pruneFinishedTrees(d: Dialect, olderThan: number, limit: number): Program<number> {
  return yield* execute(sql`
    WITH roots AS (
      SELECT r.execution_id FROM ${d.executions} AS r
      WHERE r.finished_at < ${bigint(olderThan)} AND r.parent_execution_id IS NULL
        AND r.status NOT IN ${ACTIVE_STATUS_LIST} AND r.close_status <> 'ready'
        AND NOT EXISTS (
          SELECT 1 FROM ${d.executions} AS m
          WHERE m.root_execution_id = r.execution_id
            AND (m.status IN ${ACTIVE_STATUS_LIST} OR m.close_status = 'ready'))
      LIMIT ${bigint(limit)}
    )
    DELETE FROM ${d.executions}
    WHERE execution_id IN (SELECT execution_id FROM roots)
      OR root_execution_id IN (SELECT execution_id FROM roots)`);
}
