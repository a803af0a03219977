/** Claiming due executions, and when the next one is due. */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { ClaimRequest } from '@/server/engine/storage';
import type { DbExecutionRow } from '../rows';
import { sortByReadyOrder, toNumber } from '../rows';
import type { Dialect } from './dialect';
import { bigint } from './fragments';
import { single, type Program } from './program';

/**
 * One statement: up to `limit` due rows of `taskIds`, oldest startAt first (FIFO among equal
 * ones), move to `running` with a new lease token. The pick is MATERIALIZED: evaluated once,
 * where a subquery joined into the UPDATE could be rescanned, each rescan skipping other
 * locked rows and so returning more than `limit`. On PostgreSQL the picked rows are locked
 * with SKIP LOCKED, so concurrent claims take different rows; on SQLite the statement runs
 * under the file's write lock. Either way two claims never return the same execution.
 */
export function claimReady(
  d: Dialect,
  { taskIds, limit, now, expireMs }: ClaimRequest,
): Program<DbExecutionRow[]> {
  return single(
    sql`
      WITH picked AS MATERIALIZED (
        SELECT execution_id AS picked_id FROM ${d.executions}
        WHERE status = 'ready' AND ${d.inList(sql`task_id`, taskIds)}
          AND start_at <= ${bigint(now)}
        ORDER BY start_at, ready_seq
        LIMIT ${bigint(limit)}
        ${d.skipLocked}
      )
      UPDATE ${d.executions} AS t
      SET status = 'running', started_at = ${bigint(now)},
        expires_at = ${bigint(now)} + t.timeout_ms + ${bigint(expireMs)},
        lease_token = t.lease_token + 1, updated_at = ${bigint(now)}
      FROM picked ${d.relaxedCommit}
      WHERE t.execution_id = picked.picked_id AND t.status = 'ready'
      ${d.returningExecution}`,
    sortByReadyOrder,
  );
}

export function nextDueAt(d: Dialect, taskIds: readonly string[]): Program<number | null> {
  return single(
    sql`
      SELECT MIN(start_at) AS next FROM ${d.executions}
      WHERE status = 'ready' AND ${d.inList(sql`task_id`, taskIds)}`,
    (rows: { next: number | bigint | null }[]) => {
      const next = rows[0]?.next ?? null;
      return next === null ? null : toNumber(next);
    },
  );
}
