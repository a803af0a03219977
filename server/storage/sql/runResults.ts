/**
 * Applying a batch of run results: the plan turns them into two JSON parameters, for one
 * guarded UPDATE over all results (written once here) and one INSERT of every child /
 * finalize row whose owner's update succeeded. How the two are put together is the dialect's
 * (one statement on PostgreSQL, two in a transaction on SQLite).
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { ExecutionRow, RunResult } from '@/server/engine/storage';
import type { TaskExecutionStatus } from '@/server/engine/types';
import { errorJson, toNewRowJson } from '../rows';
import type { NewRowJson } from '../rows';
import type { Dialect, Fields } from './dialect';
import { bigint, CLOSE_STATUS_ON_FINISH } from './fragments';

export type RunOutcomeKind = RunResult['outcome']['kind'];

export interface RunResultJson {
  execution_id: string;
  lease_token: number;
  kind: RunOutcomeKind;
  status: TaskExecutionStatus;
  /** The row finishes (completed, failed, timed_out, cancelled). */
  finished: boolean;
  output: string | null;
  run_output: string | null;
  error: string | null;
  start_at: number | null;
  children_count: number | null;
  finalize_execution_id: string | null;
  finalize_task_id: string | null;
  /** Order in which retried rows become ready (1-based, shared with inserted rows). */
  ord: number;
}

export interface RunResultsPlan {
  updates: RunResultJson[];
  newRows: NewRowJson[];
}

export function planRunResults(results: RunResult[]): RunResultsPlan {
  const updates: RunResultJson[] = [];
  const newRows: NewRowJson[] = [];
  const seen = new Set<string>();
  let ord = 0;
  for (const { executionId, leaseToken, outcome } of results) {
    // A second result for one execution can never apply: the first moved it off `running`.
    if (seen.has(executionId)) continue;
    seen.add(executionId);
    const update: RunResultJson = {
      execution_id: executionId,
      lease_token: leaseToken,
      kind: outcome.kind,
      status: 'completed',
      finished: false,
      output: null,
      run_output: null,
      error: null,
      start_at: null,
      children_count: null,
      finalize_execution_id: null,
      finalize_task_id: null,
      ord: 0,
    };
    switch (outcome.kind) {
      case 'completed':
        update.finished = true;
        update.output = outcome.output;
        update.run_output = outcome.runOutput;
        break;
      case 'waiting_for_children':
        update.status = 'waiting_for_children_tasks';
        update.run_output = outcome.runOutput;
        update.children_count = outcome.children.length;
        for (const child of outcome.children) {
          newRows.push(toNewRowJson(child, (ord += 1), executionId));
        }
        break;
      case 'waiting_for_finalize':
        update.status = 'waiting_for_finalize_task';
        update.run_output = outcome.runOutput;
        update.finalize_execution_id = outcome.finalize.executionId;
        update.finalize_task_id = outcome.finalize.taskId;
        newRows.push(toNewRowJson(outcome.finalize, (ord += 1), executionId));
        break;
      case 'retry':
        update.status = 'ready';
        update.error = errorJson(outcome.error);
        update.start_at = outcome.startAt;
        update.ord = ord += 1;
        break;
      case 'finished_with_error':
        update.status = outcome.status;
        update.finished = true;
        update.error = errorJson(outcome.error);
        break;
    }
    updates.push(update);
  }
  return { updates, newRows };
}

/** What `applyRunResults` returns: at each result's index its updated row, or null. */
export function appliedRows(
  results: RunResult[],
  updatedRows: ExecutionRow[],
): (ExecutionRow | null)[] {
  const updated = new Map(updatedRows.map((row) => [row.executionId, row]));
  return results.map(({ executionId }) => {
    // Only the first result of an execution can have been the one applied.
    const row = updated.get(executionId) ?? null;
    updated.delete(executionId);
    return row;
  });
}

const RESULT_FIELDS: Fields = [
  ['execution_id', 'text'],
  ['lease_token', 'integer'],
  ['kind', 'text'],
  ['status', 'text'],
  ['finished', 'boolean'],
  ['output', 'text'],
  ['run_output', 'text'],
  ['error', 'text'],
  ['start_at', 'bigint'],
  ['children_count', 'integer'],
  ['finalize_execution_id', 'text'],
  ['finalize_task_id', 'text'],
  ['ord', 'integer'],
];

/**
 * The guarded UPDATE of every result of the plan: applied only where the row is still
 * `running` with the result's lease token, otherwise dropped. Returns the updated rows.
 */
export function runResultsUpdate(d: Dialect, updates: RunResultJson[], now: number): Sql {
  return sql`
    UPDATE ${d.executions} AS t SET
      status = v.status,
      run_output = CASE WHEN v.kind IN ('completed', 'waiting_for_children', 'waiting_for_finalize')
        THEN v.run_output ELSE t.run_output END,
      output = CASE WHEN v.kind = 'completed' THEN v.output ELSE t.output END,
      error = CASE WHEN v.kind IN ('retry', 'finished_with_error') THEN v.error ELSE t.error END,
      retry_attempts = t.retry_attempts + CASE WHEN v.kind = 'retry' THEN 1 ELSE 0 END,
      start_at = CASE WHEN v.kind = 'retry' THEN v.start_at ELSE t.start_at END,
      ready_seq = CASE WHEN v.kind = 'retry' THEN ${d.readySeq(sql`v.ord`)} ELSE t.ready_seq END,
      children_count = CASE WHEN v.kind = 'waiting_for_children'
        THEN v.children_count ELSE t.children_count END,
      finished_children_count = CASE WHEN v.kind = 'waiting_for_children'
        THEN 0 ELSE t.finished_children_count END,
      finalize_task_execution_id = CASE WHEN v.kind = 'waiting_for_finalize'
        THEN v.finalize_execution_id ELSE t.finalize_task_execution_id END,
      finalize_task_id = CASE WHEN v.kind = 'waiting_for_finalize'
        THEN v.finalize_task_id ELSE t.finalize_task_id END,
      finished_at = CASE WHEN v.finished THEN ${bigint(now)} ELSE t.finished_at END,
      close_status = CASE WHEN v.finished THEN ${CLOSE_STATUS_ON_FINISH} ELSE t.close_status END,
      expires_at = NULL,
      updated_at = ${bigint(now)}
    FROM ${d.jsonRecords(JSON.stringify(updates), 'v', RESULT_FIELDS)}
    WHERE t.execution_id = v.execution_id AND ${d.unindexed(sql`t.status`)} = 'running'
      AND t.lease_token = v.lease_token
    ${d.returningExecution}`;
}
