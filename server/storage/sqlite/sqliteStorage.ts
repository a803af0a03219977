/**
 * DurableStorage over SQLite (Prisma + better-sqlite3). Every operation is one statement or
 * one write-first transaction (see ./client.ts). `subscribe` hears other processes' commits
 * through ./changeFeed.ts (SQLite has no NOTIFY).
 */
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
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import { closeExecution } from '../closeExecution';
import { getExecutionStats, getExecutionTree, listExecutions } from '../queries';
import { toExecutionRow, toNewRowJson } from '../rows';
import { appliedRows, planRunResults } from '../runResults';
import type { PrismaStorage, PruneOptions } from '../types';
import { rethrowDuplicate } from '../types';
import type { SqliteChangeFeed } from './changeFeed';
import type { SqliteClient, SqliteDb } from './client';
import { advanceParent, cancelExecution, closeCompletedChildren, closeStatements } from './close';
import { claimReady, insertRows, nextDueAt } from './enqueue';
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
import { applyRunResults } from './runResults';

export class SqliteStorage implements PrismaStorage {
  private closing: Promise<void> | undefined;
  readonly provider = 'sqlite';
  /** Absent when the store was opened without listening (`listen: false`). */
  readonly subscribe?: (listener: (notification: StorageNotification) => void) => () => void;

  constructor(
    private readonly client: SqliteClient,
    private readonly changeFeed: SqliteChangeFeed | null,
  ) {
    if (changeFeed) this.subscribe = (listener) => changeFeed.subscribe(listener);
  }

  async insertExecutions(rows: NewExecutionRow[]): Promise<void> {
    const json = rows.map((row, index) => toNewRowJson(row, index + 1));
    await this.client.run((db) => insertRows(db, json)).catch(rethrowDuplicate);
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
    // Children or finalize rows to insert make it two statements, hence a transaction.
    const apply = (db: SqliteDb) => applyRunResults(db, plan, now);
    const applied = await (plan.newRows.length > 0
      ? this.client.transaction(apply)
      : this.client.run(apply));
    const rows = applied.map(toExecutionRow);
    this.changeFeed?.finishedHere(rows);
    return appliedRows(results, rows);
  }

  closeExecutions(executionIds: string[], now: number): Promise<CloseResult[]> {
    // One write transaction for the batch; its first statement (the completed children's
    // close) is a write, as ./client.ts requires.
    return this.client.transaction(async (db) => {
      const fast = await closeCompletedChildren(db, executionIds, now);
      const statements = closeStatements(db);
      const results: CloseResult[] = [];
      for (const id of executionIds) {
        results.push(fast.get(id) ?? (await closeExecution(statements, id, now)));
      }
      return results;
    });
  }

  advanceParent(executionId: string, advance: ParentAdvance, now: number): Promise<boolean> {
    // With a finalize row to insert, two statements: a transaction (the update comes first).
    return advance.kind === 'waiting_for_finalize'
      ? this.client.transaction((db) => advanceParent(db, executionId, advance, now))
      : this.client.run((db) => advanceParent(db, executionId, advance, now));
  }

  async cancelExecution(
    executionId: string,
    error: DurableExecutionErrorStorageValue,
    now: number,
  ): Promise<CancelResult> {
    const cancelledExecutionIds = await this.client.transaction((db) =>
      cancelExecution(db, executionId, error, now),
    );
    return { cancelledExecutionIds };
  }

  recoverExpiredLeases(request: RecoverRequest): Promise<RecoverResult> {
    return this.client.run((db) => recoverExpiredLeases(db, request));
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
    return this.client.run((db) => listExecutions(db, 'sqlite', query));
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
    this.changeFeed?.close();
    this.closing ??= this.client.close();
    return this.closing;
  }
}
