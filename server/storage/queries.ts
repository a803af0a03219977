/**
 * Dashboard reads (`DurableStorageQueries`), one statement each, written in SQL that both
 * databases accept. Execution ids are compared byte-wise (COLLATE "C" on PostgreSQL) so that
 * pages follow the same order as the in-memory store.
 */
import { empty, join, raw, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { ExecutionListQuery, ExecutionRow, ExecutionStats } from '@/server/engine/storage';
import type { TaskExecutionStatus } from '@/server/engine/types';
import type { DbExecutionRow } from './rows';
import { toExecutionRow, toNumber } from './rows';
import { EXECUTION_COLUMNS } from './sqlFragments';

export interface RawQueryable {
  $queryRaw<T = unknown>(query: Sql): PromiseLike<T>;
}

export type Dialect = 'sqlite' | 'postgres';

function collate(dialect: Dialect): Sql {
  return dialect === 'postgres' ? raw('COLLATE "C"') : empty;
}

export async function listExecutions(
  db: RawQueryable,
  dialect: Dialect,
  query: ExecutionListQuery,
): Promise<ExecutionRow[]> {
  if (query.limit <= 0 || query.statuses?.length === 0) return [];
  const id = sql`execution_id ${collate(dialect)}`;
  const conditions: Sql[] = [];
  if (query.statuses) conditions.push(sql`status IN (${join(query.statuses)})`);
  if (query.taskId !== undefined) conditions.push(sql`task_id = ${query.taskId}`);
  if (query.rootOnly) conditions.push(sql`parent_execution_id IS NULL`);
  if (query.executionIdPrefix) {
    const prefix = query.executionIdPrefix;
    conditions.push(sql`substr(execution_id, 1, ${prefix.length}) = ${prefix}`);
  }
  if (query.cursor) {
    const createdAt = sql`CAST(${query.cursor.createdAt} AS BIGINT)`;
    conditions.push(
      sql`(created_at < ${createdAt} OR (created_at = ${createdAt} AND ${id} < ${query.cursor.executionId}))`,
    );
  }
  const where = conditions.length > 0 ? sql`WHERE ${join(conditions, ' AND ')}` : empty;
  const rows = await db.$queryRaw<DbExecutionRow[]>(sql`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions ${where}
    ORDER BY created_at DESC, ${id} DESC
    LIMIT ${query.limit}`);
  return rows.map(toExecutionRow);
}

/** The root first, then its tree in creation order (children by index, finalize last). */
export async function getExecutionTree(
  db: RawQueryable,
  rootExecutionId: string,
): Promise<ExecutionRow[]> {
  const rows = await db.$queryRaw<DbExecutionRow[]>(sql`
    SELECT ${EXECUTION_COLUMNS} FROM task_executions
    WHERE execution_id = ${rootExecutionId} OR root_execution_id = ${rootExecutionId}
    ORDER BY CASE WHEN execution_id = ${rootExecutionId} THEN 0 ELSE 1 END, created_at,
      parent_execution_id, is_finalize_task, index_in_parent`);
  if (rows[0]?.execution_id !== rootExecutionId) return [];
  return rows.map(toExecutionRow);
}

export async function getExecutionStats(db: RawQueryable): Promise<ExecutionStats> {
  const rows = await db.$queryRaw<{ task_id: string; status: string; count: number | bigint }[]>(
    sql`SELECT task_id, status, COUNT(*) AS count FROM task_executions GROUP BY task_id, status`,
  );
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
