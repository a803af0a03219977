/**
 * DurableStorage over PostgreSQL (Prisma + pg). Hot paths are single statements (claim,
 * apply a batch with its children, recover, advance); closes and cancels are short READ
 * COMMITTED transactions. Every change that another process may wait for is announced with
 * NOTIFY after it committed, and `subscribe` delivers them from a LISTEN connection.
 */
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import type {
  CancelResult,
  ClaimRequest,
  CloseResult,
  ExecutionListQuery,
  ExecutionRow,
  ExecutionStats,
  NewExecutionRow,
  ParentAdvance,
  RecoverRequest,
  RecoverResult,
  RunResult,
  StorageNotification,
} from '@/server/engine/storage';
import { isFinishedStatus } from '@/server/engine/types';
import { closeExecution } from '../closeExecution';
import { getExecutionStats, getExecutionTree, listExecutions } from '../queries';
import { toExecutionRow, toNewRowJson } from '../rows';
import { appliedRows, planRunResults } from '../runResults';
import type { PrismaStorage, PruneOptions } from '../types';
import { rethrowDuplicate } from '../types';
import type { PgClient } from './client';
import { advanceParent, cancelExecution, closeCompletedChildren, closeStatements } from './close';
import { claimReady, insertRowsAndNotify, nextDueAt } from './enqueue';
import type { PgListener } from './listener';
import {
  findLostRunningExecutions,
  getChildren,
  getExecution,
  getExecutions,
  listExecutionsToClose,
  listParentsReadyToAdvance,
  pruneFinishedTrees,
  recoverExpiredLeases,
} from './maintenance';
import { applyRunResults, inlineNotifiable } from './runResults';

export class PostgresStorage implements PrismaStorage {
  private closing: Promise<void> | undefined;
  readonly provider = 'postgres';
  /** Absent when LISTEN/NOTIFY did not work at start: the engine then polls. */
  readonly subscribe?: (listener: (notification: StorageNotification) => void) => () => void;

  constructor(
    private readonly client: PgClient,
    private readonly listener: PgListener | null,
  ) {
    if (listener) this.subscribe = (fn) => listener.subscribe(fn);
  }

  async insertExecutions(rows: NewExecutionRow[]): Promise<void> {
    if (rows.length === 0) return;
    const json = rows.map((row, index) => toNewRowJson(row, index + 1));
    const payloads = this.client.payloadsFor([{ type: 'work_ready' }]);
    await this.client.run((db) => insertRowsAndNotify(db, json, payloads)).catch(rethrowDuplicate);
  }

  async claimReadyExecutions(request: ClaimRequest): Promise<ExecutionRow[]> {
    const rows = await this.client.run((db) => claimReady(db, request));
    return rows.map(toExecutionRow);
  }

  getNextDueAt(taskIds: readonly string[]): Promise<number | null> {
    return this.client.run((db) => nextDueAt(db, taskIds));
  }

  async applyRunResults(results: RunResult[], now: number): Promise<(ExecutionRow | null)[]> {
    const plan = planRunResults(results);
    if (plan.updates.length === 0) return results.map(() => null);
    const applied = (
      await this.client.run((db) => applyRunResults(db, plan, now, this.client.origin))
    ).map(toExecutionRow);
    const finished = applied
      .filter((row) => isFinishedStatus(row.status))
      .map((row) => row.executionId);
    // The statement announced its results itself unless there were too many for one payload.
    if (finished.length > 0 && !inlineNotifiable(finished)) {
      await this.client.notify([{ type: 'finished', executionIds: finished }]);
    }
    return appliedRows(results, applied);
  }

  async closeExecutions(executionIds: string[], now: number): Promise<CloseResult[]> {
    const fast = await this.client.run((db) => closeCompletedChildren(db, executionIds, now));
    const results: CloseResult[] = [];
    for (const id of executionIds) results.push(fast.get(id) ?? (await this.closeOne(id, now)));
    return results;
  }

  /** The general close of one execution, in its own transaction (locks parent first). */
  private async closeOne(executionId: string, now: number): Promise<CloseResult> {
    const result = await this.client.transaction((db) =>
      closeExecution(closeStatements(db), executionId, now),
    );
    const finishedParent = result.finishedParentExecutionId;
    await this.client.notify([
      { type: 'cancelled', executionIds: result.cancelledExecutionIds },
      {
        type: 'finished',
        executionIds: [
          ...result.cancelledExecutionIds,
          ...(finishedParent ? [finishedParent] : []),
        ],
      },
    ]);
    return result;
  }

  async advanceParent(executionId: string, advance: ParentAdvance, now: number): Promise<boolean> {
    const advanced = await this.client.run((db) => advanceParent(db, executionId, advance, now));
    if (advanced) {
      await this.client.notify([
        advance.kind === 'waiting_for_finalize'
          ? { type: 'work_ready' }
          : { type: 'finished', executionIds: [executionId] },
      ]);
    }
    return advanced;
  }

  async cancelExecution(
    executionId: string,
    error: DurableExecutionErrorStorageValue,
    now: number,
  ): Promise<CancelResult> {
    const cancelledExecutionIds = await this.client.transaction((db) =>
      cancelExecution(db, executionId, error, now),
    );
    await this.client.notify([
      { type: 'cancelled', executionIds: cancelledExecutionIds },
      { type: 'finished', executionIds: cancelledExecutionIds },
    ]);
    return { cancelledExecutionIds };
  }

  async recoverExpiredLeases(request: RecoverRequest): Promise<RecoverResult> {
    const result = await this.client.run((db) => recoverExpiredLeases(db, request));
    await this.client.notify([
      ...(result.requeuedExecutionIds.length > 0 ? [{ type: 'work_ready' } as const] : []),
      { type: 'finished', executionIds: result.failedExecutionIds },
    ]);
    return result;
  }

  listExecutionsToClose(limit: number): Promise<string[]> {
    return this.client.run((db) => listExecutionsToClose(db, limit));
  }

  listParentsReadyToAdvance(limit: number): Promise<string[]> {
    return this.client.run((db) => listParentsReadyToAdvance(db, limit));
  }

  async getExecution(executionId: string): Promise<ExecutionRow | null> {
    const row = await this.client.run((db) => getExecution(db, executionId));
    return row ? toExecutionRow(row) : null;
  }

  async getExecutions(executionIds: readonly string[]): Promise<ExecutionRow[]> {
    const rows = await this.client.run((db) => getExecutions(db, executionIds));
    return rows.map(toExecutionRow);
  }

  findLostRunningExecutions(
    running: { executionId: string; leaseToken: number }[],
  ): Promise<string[]> {
    return this.client.run((db) => findLostRunningExecutions(db, running));
  }

  async getChildren(parentExecutionId: string): Promise<ExecutionRow[]> {
    const rows = await this.client.run((db) => getChildren(db, parentExecutionId));
    return rows.map(toExecutionRow);
  }

  listExecutions(query: ExecutionListQuery): Promise<ExecutionRow[]> {
    return this.client.run((db) => listExecutions(db, 'postgres', query));
  }

  getExecutionTree(rootExecutionId: string): Promise<ExecutionRow[]> {
    return this.client.run((db) => getExecutionTree(db, rootExecutionId));
  }

  getExecutionStats(): Promise<ExecutionStats> {
    return this.client.run((db) => getExecutionStats(db));
  }

  async pruneFinishedExecutions({ olderThan, batchSize = 500 }: PruneOptions): Promise<number> {
    let deleted = 0;
    for (;;) {
      const count = await this.client.run((db) =>
        pruneFinishedTrees(db, olderThan.getTime(), batchSize),
      );
      if (count === 0) return deleted;
      deleted += count;
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listener?.close();
      await this.client.close();
    })();
    return this.closing;
  }
}
