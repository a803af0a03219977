/** Cancelling an execution and, recursively, its active descendants. */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import { CASCADE_CANCELLED_ERROR } from '@/server/engine/storage';
import { errorJson } from '../rows';
import type { Dialect } from './dialect';
import { ACTIVE_STATUS_LIST, bigint, text } from './fragments';
import { queryRows, type Program } from './program';

type Ids = { execution_id: string }[];

const cancelSet = (now: number): Sql => sql`
  status = 'cancelled', error = ${text(errorJson(CASCADE_CANCELLED_ERROR))},
  finished_at = ${bigint(now)}, updated_at = ${bigint(now)}, expires_at = NULL,
  close_status = 'closed'`;

/**
 * Cancels every active descendant of `rootId` (children and finalize tasks, recursively) with
 * one recursive statement; they are `closed` (their parents are finished too). On PostgreSQL
 * its snapshot may miss children committed by a concurrent run result while the statement
 * waited for their parent's row lock, so a follow-up cancels active children of everything
 * cancelled until it finds none (at once, usually; on SQLite always).
 */
export function* cancelDescendants(d: Dialect, rootId: string, now: number): Program<string[]> {
  const cancelled = (yield* queryRows<Ids[number]>(sql`
      WITH RECURSIVE tree(execution_id) AS (
        SELECT execution_id FROM ${d.executions}
        WHERE parent_execution_id = ${rootId} AND status IN ${ACTIVE_STATUS_LIST}
        UNION ALL
        SELECT c.execution_id FROM ${d.executions} AS c
        JOIN tree ON c.parent_execution_id = tree.execution_id
        WHERE c.status IN ${ACTIVE_STATUS_LIST}
      )
      UPDATE ${d.executions} SET ${cancelSet(now)}
      WHERE execution_id IN (SELECT execution_id FROM tree) AND status IN ${ACTIVE_STATUS_LIST}
      RETURNING execution_id`)).map((row) => row.execution_id);
  for (let frontier = [rootId, ...cancelled]; frontier.length > 0;) {
    const missed = yield* queryRows<Ids[number]>(sql`
      UPDATE ${d.executions} SET ${cancelSet(now)}
      WHERE ${d.inList(sql`parent_execution_id`, frontier)} AND status IN ${ACTIVE_STATUS_LIST}
      RETURNING execution_id`);
    frontier = missed.map((row) => row.execution_id);
    cancelled.push(...frontier);
  }
  return cancelled;
}

/**
 * The target `cancelled` with closeStatus `ready` (its parent must learn of it), then its
 * active descendants. Every id cancelled, the target first; empty when it was finished.
 */
export function* cancelExecution(
  d: Dialect,
  executionId: string,
  error: DurableExecutionErrorStorageValue,
  now: number,
): Program<string[]> {
  const target = yield* queryRows<Ids[number]>(sql`
    UPDATE ${d.executions}
    SET status = 'cancelled', error = ${text(errorJson(error))}, finished_at = ${bigint(now)},
      updated_at = ${bigint(now)}, expires_at = NULL, close_status = 'ready'
    WHERE execution_id = ${executionId} AND status IN ${ACTIVE_STATUS_LIST}
    RETURNING execution_id`);
  if (target.length === 0) return [];
  return [executionId, ...(yield* cancelDescendants(d, executionId, now))];
}
