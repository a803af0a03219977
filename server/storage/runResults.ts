/**
 * Turns a batch of run results into the two JSON parameters of the batched apply: one guarded
 * UPDATE over all results, then one INSERT of every child / finalize row whose owner's update
 * succeeded. Both databases use the same plan; only the SQL differs.
 */
import type { ExecutionRow, RunResult } from '@/server/engine/storage';
import type { TaskExecutionStatus } from '@/server/engine/types';
import { errorJson, toNewRowJson } from './rows';
import type { NewRowJson } from './rows';

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
