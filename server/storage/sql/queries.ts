/**
 * Dashboard reads (`DurableStorageQueries`), one statement each. Execution ids are compared
 * byte-wise so that pages follow the same order as the in-memory store.
 */
import { empty, join, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { ExecutionListQuery, ExecutionRow, ExecutionStats } from '@/server/engine/storage';
import type { TaskExecutionStatus } from '@/server/engine/types';
import type { DbExecutionRow } from '../rows';
import { toExecutionRow, toNumber } from '../rows';
import type { Dialect } from './dialect';
import { bigint, EXECUTION_COLUMNS } from './fragments';
import { single, type Program } from './program';

/** Newest first; callers skip the statement for an empty page or status filter. */
export function listExecutions(d: Dialect, query: ExecutionListQuery): Program<ExecutionRow[]> {
  const id = sql`execution_id ${d.bytewise}`;
  const conditions: Sql[] = [];
  if (query.statuses) conditions.push(sql`status IN (${join(query.statuses)})`);
  if (query.taskId !== undefined) conditions.push(sql`task_id = ${query.taskId}`);
  if (query.rootOnly) conditions.push(sql`parent_execution_id IS NULL`);
  if (query.executionIdPrefix) {
    const prefix = query.executionIdPrefix;
    conditions.push(sql`substr(execution_id, 1, ${prefix.length}) = ${prefix}`);
  }
  if (query.cursor) {
    const createdAt = bigint(query.cursor.createdAt);
    conditions.push(
      sql`(created_at < ${createdAt} OR (created_at = ${createdAt} AND ${id} < ${query.cursor.executionId}))`,
    );
  }
  const where = conditions.length > 0 ? sql`WHERE ${join(conditions, ' AND ')}` : empty;
  return single(
    sql`
      SELECT ${EXECUTION_COLUMNS} FROM ${d.executions} ${where}
      ORDER BY created_at DESC, ${id} DESC
      LIMIT ${bigint(query.limit)}`,
    (rows: DbExecutionRow[]) => rows.map(toExecutionRow),
  );
}

/** The root first, then its tree in creation order (children by index, finalize last). */
export function getExecutionTree(d: Dialect, rootExecutionId: string): Program<ExecutionRow[]> {
  return single(
    sql`
      SELECT ${EXECUTION_COLUMNS} FROM ${d.executions}
      WHERE execution_id = ${rootExecutionId} OR root_execution_id = ${rootExecutionId}
      ORDER BY CASE WHEN execution_id = ${rootExecutionId} THEN 0 ELSE 1 END, created_at,
        parent_execution_id, is_finalize_task, index_in_parent`,
    (rows: DbExecutionRow[]) =>
      rows[0]?.execution_id === rootExecutionId ? rows.map(toExecutionRow) : [],
  );
}

export function getExecutionStats(d: Dialect): Program<ExecutionStats> {
  return single(
    sql`SELECT task_id, status, COUNT(*) AS count FROM ${d.executions} GROUP BY task_id, status`,
    toStats,
  );
}

function toStats(rows: { task_id: string; status: string; count: number | bigint }[]) {
  const byStatus: ExecutionStats['byStatus'] = {};
  const byTask: ExecutionStats['byTask'] = [];
  for (const row of rows) {
    const status = row.status as TaskExecutionStatus;
    const count = toNumber(row.count);
    byStatus[status] = (byStatus[status] ?? 0) + count;
    byTask.push({ taskId: row.task_id, status, count });
  }
  return { byStatus, byTask };
}
