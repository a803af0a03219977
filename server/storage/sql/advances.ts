/**
 * Moving on a parent whose children all finished: to its output, its failure, or its
 * finalize task. The guarded UPDATE is written once; inserting the finalize row with it is
 * the dialect's (one statement on PostgreSQL, a second one in the transaction on SQLite).
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { ParentAdvance } from '@/server/engine/storage';
import { errorJson } from '../rows';
import type { Dialect } from './dialect';
import { bigint, bool, CLOSE_STATUS_ON_FINISH, text } from './fragments';

/**
 * Guarded on `waiting_for_children_tasks` with every child finished; returns the execution id
 * when it applied.
 */
export function advanceParentUpdate(
  d: Dialect,
  executionId: string,
  advance: ParentAdvance,
  now: number,
): Sql {
  const finalize = advance.kind === 'waiting_for_finalize' ? advance.finalize : null;
  const finish = bool(!finalize);
  const status = finalize ? 'waiting_for_finalize_task' : advance.kind;
  const output = advance.kind === 'completed' ? advance.output : null;
  const error = advance.kind === 'failed' ? errorJson(advance.error) : null;
  return sql`
    UPDATE ${d.executions} AS t
    SET status = ${text(status)},
      output = CASE WHEN ${bool(advance.kind === 'completed')} THEN ${text(output)}
        ELSE t.output END,
      error = CASE WHEN ${bool(advance.kind === 'failed')} THEN ${text(error)} ELSE t.error END,
      finalize_task_execution_id = COALESCE(${text(finalize?.executionId ?? null)},
        t.finalize_task_execution_id),
      finalize_task_id = COALESCE(${text(finalize?.taskId ?? null)}, t.finalize_task_id),
      finished_at = CASE WHEN ${finish} THEN ${bigint(now)} ELSE t.finished_at END,
      expires_at = CASE WHEN ${finish} THEN NULL ELSE t.expires_at END,
      close_status = CASE WHEN ${finish} THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END,
      updated_at = ${bigint(now)}
    WHERE execution_id = ${executionId} AND status = 'waiting_for_children_tasks'
      AND finished_children_count >= children_count
    RETURNING execution_id`;
}
