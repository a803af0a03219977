/**
 * SQL fragments shared by both dialects: constant lists (never user data) and typed
 * parameters. Statements alias the executions table as `t`.
 */
import { raw, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import { ACTIVE_STATUSES } from '@/server/engine/types';

/*
 * Parameters carry their type: PostgreSQL cannot infer one for a bare parameter in CASE or
 * arithmetic, and the same standard CAST is a no-op on SQLite.
 */
export const bigint = (value: number): Sql => sql`CAST(${value} AS BIGINT)`;
export const text = (value: string | null): Sql => sql`CAST(${value} AS TEXT)`;
export const bool = (value: boolean): Sql => sql`CAST(${value} AS BOOLEAN)`;

/** `('ready', 'running', ...)`: the active statuses, for `status IN ...`. */
export const ACTIVE_STATUS_LIST = raw(
  `(${ACTIVE_STATUSES.map((status) => `'${status}'`).join(', ')})`,
);

/**
 * The closeStatus of a row finishing now (evaluated on its values before the update): a root
 * with no children and no finalize has nothing to follow up.
 */
export const CLOSE_STATUS_ON_FINISH = raw(
  `CASE WHEN t.parent_execution_id IS NOT NULL OR t.children_count > 0 ` +
    `OR t.finalize_task_execution_id IS NOT NULL THEN 'ready' ELSE 'closed' END`,
);

/** Every column of a new row, in the order the insert statements fill them. */
export const INSERT_COLUMNS = raw(
  `(execution_id, task_id, status, run_input, root_task_id, root_execution_id, parent_task_id,
    parent_execution_id, index_in_parent, is_finalize_task, retry_options, sleep_ms_before_run,
    timeout_ms, retry_attempts, recovery_attempts, start_at, ready_seq, lease_token,
    children_count, finished_children_count, close_status, created_at, updated_at,
    on_child_failure, priority, concurrency_key, rate_key, idempotency_key, linked_execution_id,
    started_at, expires_at, trace_context, owner)`,
);

/**
 * Every column an `ExecutionRow` is read from (rows.ts `DbExecutionRow`), named rather than
 * `*`: PostgreSQL caches prepared statements per connection, and a cached `SELECT *` fails
 * with "cached plan must not change result type" once a later migration adds a column.
 */
const EXECUTION_COLUMN_NAMES = [
  'execution_id',
  'task_id',
  'status',
  'run_input',
  'run_output',
  'output',
  'error',
  'root_task_id',
  'root_execution_id',
  'parent_task_id',
  'parent_execution_id',
  'index_in_parent',
  'is_finalize_task',
  'retry_options',
  'sleep_ms_before_run',
  'timeout_ms',
  'retry_attempts',
  'recovery_attempts',
  'start_at',
  'ready_seq',
  'started_at',
  'finished_at',
  'expires_at',
  'lease_token',
  'children_count',
  'finished_children_count',
  'children_tasks_errors',
  'finalize_task_execution_id',
  'finalize_task_id',
  'finalize_task_error',
  'close_status',
  'created_at',
  'updated_at',
  'on_child_failure',
  'priority',
  'concurrency_key',
  'rate_key',
  'idempotency_key',
  'linked_execution_id',
  'trace_context',
  'owner',
  'progress',
] as const;

export const EXECUTION_COLUMNS = raw(EXECUTION_COLUMN_NAMES.join(', '));

/** The same columns qualified by the table alias `t`. */
export const EXECUTION_COLUMNS_OF_T = raw(
  EXECUTION_COLUMN_NAMES.map((name) => `t.${name}`).join(', '),
);
