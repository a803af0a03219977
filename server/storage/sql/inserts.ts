/** Inserting new executions (status `ready`): one statement for a batch of any size. */
import { raw, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { NewRowJson } from '../rows';
import type { Dialect, Fields } from './dialect';
import { bigint, INSERT_COLUMNS } from './fragments';

/** The fields of a `NewRowJson`, as the insert reads them from its JSON batch. */
export const NEW_ROW_FIELDS: Fields = [
  ['execution_id', 'text'],
  ['task_id', 'text'],
  ['run_input', 'text'],
  ['root_task_id', 'text'],
  ['root_execution_id', 'text'],
  ['parent_task_id', 'text'],
  ['parent_execution_id', 'text'],
  ['index_in_parent', 'integer'],
  ['is_finalize_task', 'boolean'],
  ['retry_options', 'text'],
  ['sleep_ms_before_run', 'bigint'],
  ['timeout_ms', 'bigint'],
  ['start_at', 'bigint'],
  ['created_at', 'bigint'],
  ['on_child_failure', 'text'],
  ['priority', 'integer'],
  ['concurrency_key', 'text'],
  ['rate_key', 'text'],
  ['idempotency_key', 'text'],
  ['idempotency_expires_at', 'bigint'],
  ['linked_execution_id', 'text'],
  ['ord', 'integer'],
  ['owner_execution_id', 'text'],
  ['trace_context', 'text'],
  ['waits_for_event', 'boolean'],
  ['owner', 'text'],
];

/** Rows inserted already claimed, for the executor that enqueued them. */
export interface InsertClaim {
  now: number;
  expireMs: number;
}

/**
 * `INSERT ... SELECT` of a JSON batch of new rows, in batch order, optionally only those
 * matching `where` (over the batch alias `r`); `linked` gives linked_execution_id. With
 * `claim`, the rows are inserted `running` under lease token 1, as a claim would leave them.
 */
export function insertRowsSql(
  d: Dialect,
  rows: NewRowJson[],
  where: Sql = sql`1 = 1`,
  linked: Sql = sql`r.linked_execution_id`,
  claim?: InsertClaim,
): Sql {
  // A sleeping task's row waits for its wakeup until its deadline; it is never claimed.
  const status = claim
    ? sql`'running'`
    : sql`CASE WHEN r.waits_for_event THEN 'waiting_for_event' ELSE 'ready' END`;
  const leaseToken = claim ? 1 : 0;
  const updatedAt = claim ? bigint(claim.now) : sql`r.created_at`;
  const startedAt = claim ? bigint(claim.now) : sql`NULL`;
  const expiresAt = claim
    ? sql`${bigint(claim.now)} + r.timeout_ms + ${bigint(claim.expireMs)}`
    : sql`CASE WHEN r.waits_for_event THEN r.created_at + r.timeout_ms END`;
  return sql`
    INSERT INTO ${d.executions} ${INSERT_COLUMNS}
    SELECT r.execution_id, r.task_id, ${status}, r.run_input, r.root_task_id, r.root_execution_id,
      r.parent_task_id, r.parent_execution_id, r.index_in_parent, r.is_finalize_task,
      r.retry_options, r.sleep_ms_before_run, r.timeout_ms, 0, 0, r.start_at,
      ${d.readySeq(sql`r.ord`)}, ${raw(String(leaseToken))}, 0, 0, 'idle', r.created_at, ${updatedAt},
      r.on_child_failure, r.priority, r.concurrency_key, r.rate_key, r.idempotency_key, ${linked},
      ${startedAt}, ${expiresAt}, r.trace_context, r.owner
    FROM ${d.jsonRecords(JSON.stringify(rows), 'r', NEW_ROW_FIELDS)}
    WHERE ${where}
    ORDER BY r.ord`;
}
