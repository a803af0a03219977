/**
 * The reference storage: every operation runs synchronously inside one call, so each is
 * atomic by construction. Indexed (ready heaps per task, a lease-expiry heap, children by
 * parent, sets of pending follow-ups) so each operation costs O(log n) per touched row.
 * Rows handed out are copies: callers can never mutate the store.
 */
import { InMemoryQueries } from './inMemoryQueries';
import { MinHeap } from './minHeap';
import { ReadyQueue } from './readyQueue';
import {
  CASCADE_CANCELLED_ERROR,
  CHILDREN_TASKS_FAILED_ERROR,
  FINALIZE_TASK_FAILED_ERROR,
} from './storage';
import type {
  CancelResult,
  ClaimRequest,
  CloseResult,
  DurableStorage,
  DurableStorageQueries,
  ExecutionListQuery,
  ExecutionRow,
  ExecutionStats,
  NewExecutionRow,
  ParentAdvance,
  RecoverRequest,
  RecoverResult,
  RunResult,
  StorageNotification,
} from './storage';
import type { DurableExecutionErrorStorageValue } from './errors';
import { isFinishedStatus } from './types';

interface LeaseEntry {
  expiresAt: number;
  executionId: string;
  leaseToken: number;
}

export function createInMemoryStorage(): DurableStorage & DurableStorageQueries {
  return new InMemoryStorage();
}

class InMemoryStorage implements DurableStorage, DurableStorageQueries {
  private readonly rows = new Map<string, ExecutionRow>();
  private readonly readyQueue = new ReadyQueue((id) => this.rows.get(id)?.status === 'ready');
  private readonly leases = new MinHeap<LeaseEntry>((a, b) => a.expiresAt < b.expiresAt);
  private readonly childrenByParent = new Map<string, string[]>();
  private readonly toClose = new Set<string>();
  /** Insertion order, for newest-first listing; trees by root for the dashboard. */
  private readonly queries = new InMemoryQueries(this.rows);
  private readonly readyToAdvance = new Set<string>();
  private readonly listeners = new Set<(notification: StorageNotification) => void>();

  /** Executors sharing this store in one process wake each other through these. */
  subscribe(listener: (notification: StorageNotification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(notification: StorageNotification): void {
    if (this.listeners.size === 0) return;
    if (notification.type !== 'work_ready' && notification.executionIds.length === 0) return;
    // Delivered after the operation returns, like a NOTIFY delivered after COMMIT.
    queueMicrotask(() => {
      for (const listener of this.listeners) listener(notification);
    });
  }

  insertExecutions(rows: NewExecutionRow[]): Promise<void> {
    for (const row of rows) {
      if (this.rows.has(row.executionId)) {
        return Promise.reject(new Error(`Execution ${row.executionId} already exists`));
      }
    }
    for (const row of rows) this.insert(row);
    this.notify({ type: 'work_ready' });
    return Promise.resolve();
  }

  claimReadyExecutions({ taskIds, limit, now, expireMs }: ClaimRequest): Promise<ExecutionRow[]> {
    const claimed: ExecutionRow[] = [];
    while (claimed.length < limit) {
      const next = this.readyQueue.popDue(taskIds, now);
      if (next === undefined) break;
      const row = this.mustGet(next);
      row.status = 'running';
      row.startedAt = now;
      row.expiresAt = now + row.timeoutMs + expireMs;
      row.leaseToken += 1;
      row.updatedAt = now;
      this.leases.push({
        expiresAt: row.expiresAt,
        executionId: row.executionId,
        leaseToken: row.leaseToken,
      });
      claimed.push(copy(row));
    }
    return Promise.resolve(claimed);
  }

  getNextDueAt(taskIds: readonly string[]): Promise<number | null> {
    return Promise.resolve(this.readyQueue.earliestStartAt(taskIds));
  }

  applyRunResults(results: RunResult[], now: number): Promise<(ExecutionRow | null)[]> {
    const applied = results.map((result) =>
      this.applyRunResult(result, now) ? copy(this.mustGet(result.executionId)) : null,
    );
    const finished = applied.filter(
      (row): row is ExecutionRow => row !== null && isFinishedStatus(row.status),
    );
    this.notify({
      type: 'finished',
      executionIds: finished.map((row) => row.executionId),
      rows: finished,
    });
    if (finished.length < applied.filter(Boolean).length) this.notify({ type: 'work_ready' });
    return Promise.resolve(applied);
  }

  closeExecutions(executionIds: string[], now: number): Promise<CloseResult[]> {
    return Promise.resolve(executionIds.map((id) => this.closeAndNotify(id, now)));
  }

  private closeAndNotify(executionId: string, now: number): CloseResult {
    const result = this.close(executionId, now);
    this.notify({ type: 'cancelled', executionIds: result.cancelledExecutionIds });
    this.notify({
      type: 'finished',
      executionIds: [
        ...result.cancelledExecutionIds,
        ...(result.finishedParentExecutionId ? [result.finishedParentExecutionId] : []),
      ],
    });
    return result;
  }

  private close(executionId: string, now: number): CloseResult {
    const result: CloseResult = {
      cancelledExecutionIds: [],
      finishedParentExecutionId: null,
      parentReadyToAdvanceExecutionId: null,
    };
    const row = this.rows.get(executionId);
    if (!row || row.closeStatus !== 'ready') return result;
    this.setCloseStatus(row, 'closed');
    if (row.status !== 'completed') {
      result.cancelledExecutionIds = this.cancelDescendants(row, now);
    }
    const parent = row.parentExecutionId ? this.rows.get(row.parentExecutionId) : undefined;
    if (!parent) return result;

    if (row.isFinalizeTask) {
      if (parent.status === 'waiting_for_finalize_task') {
        if (row.status === 'completed') {
          parent.status = 'completed';
          parent.output = row.output;
        } else {
          parent.status = 'finalize_task_failed';
          parent.error = FINALIZE_TASK_FAILED_ERROR;
          parent.finalizeTaskError = row.error;
        }
        this.finish(parent, now);
        result.finishedParentExecutionId = parent.executionId;
      }
      return result;
    }

    parent.finishedChildrenCount += 1;
    parent.updatedAt = now;
    if (row.status !== 'completed') {
      const childError = {
        index: row.indexInParent,
        taskId: row.taskId,
        executionId: row.executionId,
        error: row.error ?? CHILDREN_TASKS_FAILED_ERROR,
      };
      if (parent.status === 'waiting_for_children_tasks') {
        parent.status = 'children_tasks_failed';
        parent.error = CHILDREN_TASKS_FAILED_ERROR;
        parent.childrenTasksErrors = [childError];
        this.readyToAdvance.delete(parent.executionId);
        this.finish(parent, now);
        result.finishedParentExecutionId = parent.executionId;
      } else if (parent.status === 'children_tasks_failed') {
        parent.childrenTasksErrors = [...(parent.childrenTasksErrors ?? []), childError].sort(
          (a, b) => a.index - b.index,
        );
      }
    } else if (
      parent.status === 'waiting_for_children_tasks' &&
      parent.finishedChildrenCount >= parent.childrenCount
    ) {
      this.readyToAdvance.add(parent.executionId);
      result.parentReadyToAdvanceExecutionId = parent.executionId;
    }
    return result;
  }

  advanceParent(executionId: string, advance: ParentAdvance, now: number): Promise<boolean> {
    const row = this.rows.get(executionId);
    if (
      !row ||
      row.status !== 'waiting_for_children_tasks' ||
      row.finishedChildrenCount < row.childrenCount
    ) {
      return Promise.resolve(false);
    }
    this.readyToAdvance.delete(executionId);
    switch (advance.kind) {
      case 'completed':
        row.status = 'completed';
        row.output = advance.output;
        this.finish(row, now);
        break;
      case 'failed':
        row.status = 'failed';
        row.error = advance.error;
        this.finish(row, now);
        break;
      case 'waiting_for_finalize':
        row.status = 'waiting_for_finalize_task';
        row.finalizeTaskExecutionId = advance.finalize.executionId;
        row.finalizeTaskId = advance.finalize.taskId;
        row.updatedAt = now;
        this.insert(advance.finalize);
        break;
    }
    this.notify(
      isFinishedStatus(row.status)
        ? { type: 'finished', executionIds: [executionId] }
        : { type: 'work_ready' },
    );
    return Promise.resolve(true);
  }

  cancelExecution(
    executionId: string,
    error: DurableExecutionErrorStorageValue,
    now: number,
  ): Promise<CancelResult> {
    const row = this.rows.get(executionId);
    if (!row || isFinishedStatus(row.status)) return Promise.resolve({ cancelledExecutionIds: [] });
    this.cancelRow(row, error, now);
    this.setCloseStatus(row, 'ready');
    const cancelledExecutionIds = [executionId, ...this.cancelDescendants(row, now)];
    this.notify({ type: 'cancelled', executionIds: cancelledExecutionIds });
    this.notify({ type: 'finished', executionIds: cancelledExecutionIds });
    return Promise.resolve({ cancelledExecutionIds });
  }

  recoverExpiredLeases({
    now,
    maxRecoveryAttempts,
    error,
    limit,
  }: RecoverRequest): Promise<RecoverResult> {
    const result: RecoverResult = { requeuedExecutionIds: [], failedExecutionIds: [] };
    while (result.requeuedExecutionIds.length + result.failedExecutionIds.length < limit) {
      const top = this.leases.peek();
      if (!top || top.expiresAt >= now) break;
      this.leases.pop();
      const row = this.rows.get(top.executionId);
      if (!row || row.status !== 'running' || row.leaseToken !== top.leaseToken) continue;
      row.error = error;
      row.expiresAt = null;
      row.updatedAt = now;
      if (row.recoveryAttempts < maxRecoveryAttempts) {
        row.recoveryAttempts += 1;
        row.status = 'ready';
        row.startAt = now;
        this.readyQueue.push(row);
        result.requeuedExecutionIds.push(row.executionId);
      } else {
        row.status = 'failed';
        this.finish(row, now);
        result.failedExecutionIds.push(row.executionId);
      }
    }
    if (result.requeuedExecutionIds.length > 0) this.notify({ type: 'work_ready' });
    this.notify({ type: 'finished', executionIds: result.failedExecutionIds });
    return Promise.resolve(result);
  }

  listExecutionsToClose(limit: number): Promise<string[]> {
    return Promise.resolve(take(this.toClose, limit));
  }

  listParentsReadyToAdvance(limit: number): Promise<string[]> {
    return Promise.resolve(take(this.readyToAdvance, limit));
  }

  getExecution(executionId: string): Promise<ExecutionRow | null> {
    const row = this.rows.get(executionId);
    return Promise.resolve(row ? copy(row) : null);
  }

  getExecutions(executionIds: readonly string[]): Promise<ExecutionRow[]> {
    return Promise.resolve(
      executionIds.flatMap((id) => {
        const row = this.rows.get(id);
        return row ? [copy(row)] : [];
      }),
    );
  }

  findLostRunningExecutions(
    running: { executionId: string; leaseToken: number }[],
  ): Promise<string[]> {
    return Promise.resolve(
      running
        .filter(({ executionId, leaseToken }) => {
          const row = this.rows.get(executionId);
          return !row || row.status !== 'running' || row.leaseToken !== leaseToken;
        })
        .map(({ executionId }) => executionId),
    );
  }

  getChildren(parentExecutionId: string): Promise<ExecutionRow[]> {
    const ids = this.childrenByParent.get(parentExecutionId) ?? [];
    return Promise.resolve(ids.map((id) => copy(this.mustGet(id))));
  }

  listExecutions(query: ExecutionListQuery): Promise<ExecutionRow[]> {
    return Promise.resolve(this.queries.list(query).map(copy));
  }

  getExecutionTree(rootExecutionId: string): Promise<ExecutionRow[]> {
    return Promise.resolve(this.queries.tree(rootExecutionId).map(copy));
  }

  getExecutionStats(): Promise<ExecutionStats> {
    return Promise.resolve(this.queries.stats());
  }

  private applyRunResult({ executionId, leaseToken, outcome }: RunResult, now: number): boolean {
    const row = this.rows.get(executionId);
    if (!row || row.status !== 'running' || row.leaseToken !== leaseToken) return false;
    row.expiresAt = null;
    row.updatedAt = now;
    switch (outcome.kind) {
      case 'completed':
        row.status = 'completed';
        row.output = outcome.output;
        row.runOutput = outcome.runOutput;
        this.finish(row, now);
        break;
      case 'waiting_for_children':
        row.status = 'waiting_for_children_tasks';
        row.runOutput = outcome.runOutput;
        row.childrenCount = outcome.children.length;
        row.finishedChildrenCount = 0;
        for (const child of outcome.children) this.insert(child);
        break;
      case 'waiting_for_finalize':
        row.status = 'waiting_for_finalize_task';
        row.runOutput = outcome.runOutput;
        row.finalizeTaskExecutionId = outcome.finalize.executionId;
        row.finalizeTaskId = outcome.finalize.taskId;
        this.insert(outcome.finalize);
        break;
      case 'retry':
        row.status = 'ready';
        row.error = outcome.error;
        row.retryAttempts += 1;
        row.startAt = outcome.startAt;
        this.readyQueue.push(row);
        break;
      case 'finished_with_error':
        row.status = outcome.status;
        row.error = outcome.error;
        this.finish(row, now);
        break;
    }
    return true;
  }

  private insert(newRow: NewExecutionRow): void {
    const row: ExecutionRow = {
      ...copy(newRow),
      status: 'ready',
      runOutput: null,
      output: null,
      error: null,
      retryAttempts: 0,
      recoveryAttempts: 0,
      startedAt: null,
      finishedAt: null,
      expiresAt: null,
      leaseToken: 0,
      childrenCount: 0,
      finishedChildrenCount: 0,
      childrenTasksErrors: null,
      finalizeTaskExecutionId: null,
      finalizeTaskId: null,
      finalizeTaskError: null,
      closeStatus: 'idle',
      updatedAt: newRow.createdAt,
    };
    this.rows.set(row.executionId, row);
    this.queries.added(row);
    if (row.parentExecutionId && !row.isFinalizeTask) {
      const siblings = this.childrenByParent.get(row.parentExecutionId) ?? [];
      siblings[row.indexInParent] = row.executionId;
      this.childrenByParent.set(row.parentExecutionId, siblings);
    }
    this.readyQueue.push(row);
  }

  /** Marks a row finished; a root with no children has nothing to follow up. */
  private finish(row: ExecutionRow, now: number): void {
    row.finishedAt = now;
    row.updatedAt = now;
    row.expiresAt = null;
    const needsClose =
      row.parentExecutionId !== null ||
      row.childrenCount > 0 ||
      row.finalizeTaskExecutionId !== null;
    this.setCloseStatus(row, needsClose ? 'ready' : 'closed');
  }

  private cancelRow(
    row: ExecutionRow,
    error: DurableExecutionErrorStorageValue,
    now: number,
  ): void {
    row.status = 'cancelled';
    row.error = error;
    row.finishedAt = now;
    row.updatedAt = now;
    row.expiresAt = null;
    this.readyQueue.remove(row.executionId);
    this.readyToAdvance.delete(row.executionId);
  }

  /** Cancels every active descendant (children and finalize tasks, recursively). */
  private cancelDescendants(root: ExecutionRow, now: number): string[] {
    const cancelled: string[] = [];
    const error = CASCADE_CANCELLED_ERROR;
    const pending = [root.executionId];
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
      const parent = this.mustGet(id);
      const descendantIds = [...(this.childrenByParent.get(id) ?? [])];
      if (parent.finalizeTaskExecutionId) descendantIds.push(parent.finalizeTaskExecutionId);
      for (const childId of descendantIds) {
        const child = this.mustGet(childId);
        if (isFinishedStatus(child.status)) continue;
        this.cancelRow(child, error, now);
        this.setCloseStatus(child, 'closed');
        cancelled.push(childId);
        pending.push(childId);
      }
    }
    return cancelled;
  }

  private setCloseStatus(row: ExecutionRow, closeStatus: ExecutionRow['closeStatus']): void {
    row.closeStatus = closeStatus;
    if (closeStatus === 'ready') this.toClose.add(row.executionId);
    else this.toClose.delete(row.executionId);
  }

  private mustGet(executionId: string): ExecutionRow {
    const row = this.rows.get(executionId);
    if (!row) throw new Error(`Execution ${executionId} is missing from the store`);
    return row;
  }
}

function take(set: Set<string>, limit: number): string[] {
  const ids: string[] = [];
  for (const id of set) {
    if (ids.length >= limit) break;
    ids.push(id);
  }
  return ids;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
