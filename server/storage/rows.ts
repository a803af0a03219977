/**
 * The database shape of an execution (snake_case columns, as `SELECT *` returns them on both
 * databases) and its conversion to and from the engine's `ExecutionRow`.
 * Batches travel to SQL as one JSON parameter (json_each / jsonb_to_recordset), so a batch of
 * any size is one statement with a constant number of parameters.
 */
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import type {
  CloseStatus,
  ExecutionRow,
  NewExecutionRow,
  StoredRetryOptions,
} from '@/server/engine/storage';
import type {
  ChildFailurePolicy,
  ChildTaskError,
  TaskExecutionStatus,
} from '@/server/engine/types';

/** Integers come back as number or bigint, booleans as boolean or 0/1, depending on the driver. */
type DbInt = number | bigint;
type DbBool = boolean | number | bigint;

export interface DbExecutionRow {
  execution_id: string;
  task_id: string;
  status: string;
  run_input: string;
  run_output: string | null;
  output: string | null;
  error: string | null;
  root_task_id: string | null;
  root_execution_id: string | null;
  parent_task_id: string | null;
  parent_execution_id: string | null;
  index_in_parent: DbInt;
  is_finalize_task: DbBool;
  retry_options: string;
  sleep_ms_before_run: DbInt;
  timeout_ms: DbInt;
  retry_attempts: DbInt;
  recovery_attempts: DbInt;
  start_at: DbInt;
  ready_seq: DbInt;
  started_at: DbInt | null;
  finished_at: DbInt | null;
  expires_at: DbInt | null;
  lease_token: DbInt;
  children_count: DbInt;
  finished_children_count: DbInt;
  children_tasks_errors: string | null;
  finalize_task_execution_id: string | null;
  finalize_task_id: string | null;
  finalize_task_error: string | null;
  close_status: string;
  created_at: DbInt;
  updated_at: DbInt;
  on_child_failure: string;
  priority: DbInt;
  concurrency_key: string | null;
  rate_key: string | null;
  idempotency_key: string | null;
  linked_execution_id: string | null;
  trace_context: string | null;
  owner: string | null;
  progress: string | null;
}

export function toNumber(value: DbInt): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

function toNullableNumber(value: DbInt | null): number | null {
  return value === null ? null : toNumber(value);
}

function toBoolean(value: DbBool): boolean {
  return typeof value === 'boolean' ? value : Number(value) !== 0;
}

function parseError(value: string | null): DurableExecutionErrorStorageValue | null {
  return value === null ? null : (JSON.parse(value) as DurableExecutionErrorStorageValue);
}

export function toExecutionRow(row: DbExecutionRow): ExecutionRow {
  return {
    executionId: row.execution_id,
    taskId: row.task_id,
    status: row.status as TaskExecutionStatus,
    runInput: row.run_input,
    runOutput: row.run_output,
    output: row.output,
    error: parseError(row.error),
    rootTaskId: row.root_task_id,
    rootExecutionId: row.root_execution_id,
    parentTaskId: row.parent_task_id,
    parentExecutionId: row.parent_execution_id,
    indexInParent: toNumber(row.index_in_parent),
    isFinalizeTask: toBoolean(row.is_finalize_task),
    retryOptions: JSON.parse(row.retry_options) as StoredRetryOptions,
    sleepMsBeforeRun: toNumber(row.sleep_ms_before_run),
    timeoutMs: toNumber(row.timeout_ms),
    retryAttempts: toNumber(row.retry_attempts),
    recoveryAttempts: toNumber(row.recovery_attempts),
    startAt: toNumber(row.start_at),
    startedAt: toNullableNumber(row.started_at),
    finishedAt: toNullableNumber(row.finished_at),
    expiresAt: toNullableNumber(row.expires_at),
    leaseToken: toNumber(row.lease_token),
    childrenCount: toNumber(row.children_count),
    finishedChildrenCount: toNumber(row.finished_children_count),
    childrenTasksErrors:
      row.children_tasks_errors === null
        ? null
        : (JSON.parse(row.children_tasks_errors) as ChildTaskError[]),
    finalizeTaskExecutionId: row.finalize_task_execution_id,
    finalizeTaskId: row.finalize_task_id,
    finalizeTaskError: parseError(row.finalize_task_error),
    closeStatus: row.close_status as CloseStatus,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    onChildFailure: row.on_child_failure as ChildFailurePolicy,
    priority: toNumber(row.priority),
    concurrencyKey: row.concurrency_key,
    rateKey: row.rate_key,
    idempotencyKey: row.idempotency_key,
    linkedExecutionId: row.linked_execution_id,
    traceContext: row.trace_context,
    owner: row.owner,
    progress: row.progress,
  };
}

/**
 * Rows in claim order: highest priority first, then oldest startAt, then the order in which
 * they became ready.
 */
export function sortByReadyOrder(rows: DbExecutionRow[]): DbExecutionRow[] {
  return rows.sort((a, b) => {
    const byPriority = toNumber(b.priority) - toNumber(a.priority);
    if (byPriority !== 0) return byPriority;
    const byStart = toNumber(a.start_at) - toNumber(b.start_at);
    return byStart !== 0 ? byStart : toNumber(a.ready_seq) - toNumber(b.ready_seq);
  });
}

/** A new row as one element of the JSON batch read by the insert statements. */
export interface NewRowJson {
  execution_id: string;
  task_id: string;
  run_input: string;
  root_task_id: string | null;
  root_execution_id: string | null;
  parent_task_id: string | null;
  parent_execution_id: string | null;
  index_in_parent: number;
  is_finalize_task: boolean;
  retry_options: string;
  sleep_ms_before_run: number;
  timeout_ms: number;
  start_at: number;
  created_at: number;
  on_child_failure: ChildFailurePolicy;
  priority: number;
  concurrency_key: string | null;
  rate_key: string | null;
  idempotency_key: string | null;
  idempotency_expires_at: number | null;
  /** Set by the insert for a child whose idempotency key another execution holds. */
  linked_execution_id: string | null;
  /** Position in the batch (1-based): the order in which the rows become ready. */
  ord: number;
  /** The execution whose guarded update must succeed for this row to be inserted. */
  owner_execution_id: string | null;
  trace_context: string | null;
  /** A sleeping task's row: inserted `waiting_for_event`, its deadline as expires_at. */
  waits_for_event: boolean;
  /** Who the execution belongs to (the access policy's owner). */
  owner: string | null;
}

export function toNewRowJson(
  row: NewExecutionRow,
  ord: number,
  ownerExecutionId: string | null = null,
): NewRowJson {
  return {
    execution_id: row.executionId,
    task_id: row.taskId,
    run_input: row.runInput,
    root_task_id: row.rootTaskId,
    root_execution_id: row.rootExecutionId,
    parent_task_id: row.parentTaskId,
    parent_execution_id: row.parentExecutionId,
    index_in_parent: row.indexInParent,
    is_finalize_task: row.isFinalizeTask,
    retry_options: JSON.stringify(row.retryOptions),
    sleep_ms_before_run: row.sleepMsBeforeRun,
    timeout_ms: row.timeoutMs,
    start_at: row.startAt,
    created_at: row.createdAt,
    on_child_failure: row.onChildFailure,
    priority: row.priority,
    concurrency_key: row.concurrencyKey,
    rate_key: row.rateKey,
    idempotency_key: row.idempotencyKey,
    idempotency_expires_at: row.idempotencyExpiresAt,
    linked_execution_id: null,
    ord,
    owner_execution_id: ownerExecutionId,
    trace_context: row.traceContext ?? null,
    waits_for_event: row.waitsForEvent === true,
    owner: row.owner,
  };
}

export function errorJson(error: DurableExecutionErrorStorageValue): string {
  return JSON.stringify(error);
}
