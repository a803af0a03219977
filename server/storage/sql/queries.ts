/**
 * Dashboard reads (`DurableStorageQueries`), one statement each. Execution ids are compared
 * byte-wise so that pages follow the same order as the in-memory store.
 */
import { empty, join, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type {
  ExecutionFilter,
  ExecutionListQuery,
  ExecutionRow,
  ExecutionStats,
  FlowUsage,
  FlowUsageQuery,
} from '@/server/engine/storage';
import type { TaskExecutionStatus } from '@/server/engine/types';
import { validateValuePath } from '@/server/engine/valuePath';
import type { DbExecutionRow } from '../rows';
import { toExecutionRow, toNumber } from '../rows';
import type { Dialect } from './dialect';
import { bigint, EXECUTION_COLUMNS } from './fragments';
import { single, type Program } from './program';

/** Newest first; callers skip the statement for an empty page or status filter. */
export function listExecutions(d: Dialect, query: ExecutionListQuery): Program<ExecutionRow[]> {
  const id = sql`execution_id ${d.bytewise}`;
  const conditions = filterConditions(d, query);
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

export function countExecutions(d: Dialect, filter: ExecutionFilter): Program<number> {
  const conditions = filterConditions(d, filter);
  const where = conditions.length > 0 ? sql`WHERE ${join(conditions, ' AND ')}` : empty;
  return single(
    sql`SELECT COUNT(*) AS n FROM ${d.executions} ${where}`,
    (rows: { n: number | bigint }[]) => toNumber(rows[0]?.n ?? 0),
  );
}

/** The conditions of `filter`, over the executions table's columns. */
function filterConditions(d: Dialect, filter: ExecutionFilter): Sql[] {
  const conditions: Sql[] = [];
  if (filter.statuses) conditions.push(sql`status IN (${join(filter.statuses)})`);
  if (filter.taskId !== undefined) conditions.push(sql`task_id = ${filter.taskId}`);
  if (filter.rootOnly) conditions.push(sql`parent_execution_id IS NULL`);
  if (filter.executionIdPrefix) {
    const prefix = filter.executionIdPrefix;
    conditions.push(sql`substr(execution_id, 1, ${prefix.length}) = ${prefix}`);
  }
  if (filter.createdFrom !== undefined) {
    conditions.push(sql`created_at >= ${bigint(filter.createdFrom)}`);
  }
  if (filter.createdTo !== undefined)
    conditions.push(sql`created_at < ${bigint(filter.createdTo)}`);
  if (filter.valueMatch) {
    const { field, path, value } = filter.valueMatch;
    validateValuePath(path);
    const column = field === 'input' ? sql`run_input` : sql`output`;
    conditions.push(d.jsonPathEquals(column, path, JSON.stringify(value)));
  }
  return conditions;
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

/** Running executions per concurrency key, and starts within the period per rate key. */
export function getFlowUsage(
  d: Dialect,
  { limits, now, keys }: FlowUsageQuery,
): Program<FlowUsage[]> {
  const concurrent = limits.filter((l) => l.concurrencyLimit !== null).map((l) => l.taskId);
  const rated = limits.filter((l) => l.rateLimit);
  const periods = rated.map((l) => ({ task_id: l.taskId, period_ms: l.rateLimit!.periodMs }));
  const onlyKeys = (column: Sql) => (keys ? sql`AND ${d.inList(column, keys)}` : empty);
  return single(
    sql`
      SELECT task_id, 'concurrency' AS kind, COALESCE(concurrency_key, '') AS flow_key,
        COUNT(*) AS n
      FROM ${d.executions}
      WHERE status = 'running' AND expires_at >= ${bigint(now)}
        AND ${d.inList(sql`task_id`, concurrent)} ${onlyKeys(sql`COALESCE(concurrency_key, '')`)}
      GROUP BY task_id, COALESCE(concurrency_key, '')
      UNION ALL
      SELECT s.task_id, 'rate' AS kind, s.rate_key AS flow_key, COUNT(*) AS n
      FROM ${d.rateLimitStarts} AS s
      JOIN ${d.jsonRecords(JSON.stringify(periods), 'p', [
        ['task_id', 'text'],
        ['period_ms', 'bigint'],
      ])} ON p.task_id = s.task_id
      WHERE s.started_at > ${bigint(now)} - p.period_ms ${onlyKeys(sql`s.rate_key`)}
      GROUP BY s.task_id, s.rate_key
      ORDER BY n DESC`,
    (rows: { task_id: string; kind: string; flow_key: string; n: number | bigint }[]) =>
      rows.map((row) => ({
        taskId: row.task_id,
        kind: row.kind as FlowUsage['kind'],
        key: row.flow_key,
        count: toNumber(row.n),
      })),
  );
}
