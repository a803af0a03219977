/**
 * The in-memory store's rows and the indexes kept beside them: ready heaps per task, children
 * by parent, the two sets of pending follow-ups, and the dashboard queries. The other
 * in-memory modules set row fields directly but touch the indexes only through these methods,
 * so no index falls out of step with its rows. Rows here are live: the store hands out copies.
 */
import type { DurableExecutionErrorStorageValue } from './errors';
import { InMemoryQueries } from './inMemoryQueries';
import { ReadyQueue, type ReadyEntry } from './readyQueue';
import type { ExecutionRow, NewExecutionRow } from './storage';
import { isFinishedStatus } from './types';

export class InMemoryRows {
  private readonly byId = new Map<string, ExecutionRow>();
  private readonly readyQueue = new ReadyQueue((id) => this.byId.get(id)?.status === 'ready');
  private readonly childrenByParent = new Map<string, string[]>();
  /** Claimed rows by task, some of which may have stopped running (see `running`). */
  private readonly runningByTask = new Map<string, Set<string>>();
  /** Finished rows whose close (parent update, cascade) has not run yet. */
  private readonly toClose = new Set<string>();
  /** Parents whose children all completed, waiting for advanceParent. */
  private readonly readyToAdvance = new Set<string>();
  /** Sleeping rows, for their deadlines. */
  private readonly sleeping = new Set<string>();
  /** Insertion order, for newest-first listing; trees by root for the dashboard. */
  readonly queries = new InMemoryQueries(this.byId);

  has(executionId: string): boolean {
    return this.byId.has(executionId);
  }

  get(executionId: string): ExecutionRow | undefined {
    return this.byId.get(executionId);
  }

  mustGet(executionId: string): ExecutionRow {
    const row = this.byId.get(executionId);
    if (!row) throw new Error(`Execution ${executionId} is missing from the store`);
    return row;
  }

  /** The parent's children by index (finalize tasks are not among them). */
  childIds(parentExecutionId: string): readonly string[] {
    return this.childrenByParent.get(parentExecutionId) ?? [];
  }

  /** The next ready row to claim among `taskIds` at `now` (left ready). */
  peekDue(taskIds: readonly string[], now: number): ReadyEntry | undefined {
    return this.readyQueue.peekDue(taskIds, now);
  }

  /** Every ready row of `taskId` due at `now`, in claim order. */
  dueEntries(taskId: string, now: number): ReadyEntry[] {
    return this.readyQueue.dueEntries(taskId, now);
  }

  /** Takes a ready row out of the ready index: it is being claimed. */
  take(entry: ReadyEntry): void {
    this.readyQueue.take(entry);
  }

  /** Records a row just claimed, for `running`. */
  markRunning(row: ExecutionRow): void {
    let ids = this.runningByTask.get(row.taskId);
    if (!ids) {
      ids = new Set();
      this.runningByTask.set(row.taskId, ids);
    }
    ids.add(row.executionId);
  }

  /** Running rows of `taskId`; those that stopped running since are dropped here, lazily. */
  running(taskId: string): ExecutionRow[] {
    const ids = this.runningByTask.get(taskId);
    if (!ids) return [];
    const rows: ExecutionRow[] = [];
    for (const id of ids) {
      const row = this.byId.get(id);
      if (row?.status === 'running') rows.push(row);
      else ids.delete(id);
    }
    return rows;
  }

  earliestStartAt(taskIds: readonly string[]): number | null {
    return this.readyQueue.earliestStartAt(taskIds);
  }

  /** Queues a row its caller has just set back to `ready` (a retry or a recovery). */
  requeue(row: ExecutionRow): void {
    this.readyQueue.push(row);
  }

  listToClose(limit: number): string[] {
    return take(this.toClose, limit);
  }

  listReadyToAdvance(limit: number): string[] {
    return take(this.readyToAdvance, limit);
  }

  /** Adds or drops a parent from the advanceParent follow-ups. */
  setReadyToAdvance(executionId: string, ready: boolean): void {
    if (ready) this.readyToAdvance.add(executionId);
    else this.readyToAdvance.delete(executionId);
  }

  /** Inserts a new ready row; `linkedExecutionId` for a child whose key another one holds. */
  insert(newRow: NewExecutionRow, linkedExecutionId: string | null = null): void {
    const { idempotencyExpiresAt: _expiry, waitsForEvent, ...fields } = copy(newRow);
    const row: ExecutionRow = {
      ...fields,
      traceContext: newRow.traceContext ?? null,
      linkedExecutionId,
      progress: null,
      status: waitsForEvent ? 'waiting_for_event' : 'ready',
      runOutput: null,
      output: null,
      error: null,
      retryAttempts: 0,
      recoveryAttempts: 0,
      startedAt: null,
      finishedAt: null,
      expiresAt: waitsForEvent ? newRow.createdAt + newRow.timeoutMs : null,
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
    this.byId.set(row.executionId, row);
    this.queries.added(row);
    if (row.parentExecutionId && !row.isFinalizeTask) {
      const siblings = this.childrenByParent.get(row.parentExecutionId) ?? [];
      siblings[row.indexInParent] = row.executionId;
      this.childrenByParent.set(row.parentExecutionId, siblings);
    }
    if (waitsForEvent) this.sleeping.add(row.executionId);
    else this.readyQueue.push(row);
  }

  /** Ids of `waiting_for_event` rows (some may have finished since: check their status). */
  sleepingIds(): string[] {
    const ids: string[] = [];
    for (const id of this.sleeping) {
      if (this.byId.get(id)?.status === 'waiting_for_event') ids.push(id);
      else this.sleeping.delete(id);
    }
    return ids;
  }

  /**
   * Deletes up to `limit` whole finished trees whose root finished before `olderThan`, none
   * with an active member or a pending follow-up. Returns the number of rows deleted.
   */
  pruneFinishedTrees(olderThan: number, limit: number): number {
    let trees = 0;
    let deleted = 0;
    for (const root of this.byId.values()) {
      if (trees >= limit) break;
      if (root.parentExecutionId !== null || root.finishedAt === null) continue;
      if (root.finishedAt >= olderThan || root.closeStatus === 'ready') continue;
      const members = this.queries.tree(root.executionId);
      if (members.some((m) => !isFinishedStatus(m.status) || m.closeStatus === 'ready')) continue;
      for (const member of members) {
        this.byId.delete(member.executionId);
        this.childrenByParent.delete(member.executionId);
      }
      this.queries.removedTree(root.executionId, members.length);
      trees += 1;
      deleted += members.length;
    }
    return deleted;
  }

  /** Marks a row finished; a root with no children has nothing to follow up. */
  finish(row: ExecutionRow, now: number): void {
    row.finishedAt = now;
    row.updatedAt = now;
    row.expiresAt = null;
    const needsClose =
      row.parentExecutionId !== null ||
      row.childrenCount > 0 ||
      row.finalizeTaskExecutionId !== null;
    this.setCloseStatus(row, needsClose ? 'ready' : 'closed');
  }

  /** Cancels one row; its close status is the caller's, since a cascade closes at once. */
  cancel(row: ExecutionRow, error: DurableExecutionErrorStorageValue, now: number): void {
    row.status = 'cancelled';
    row.error = error;
    row.finishedAt = now;
    row.updatedAt = now;
    row.expiresAt = null;
    this.readyQueue.remove(row.executionId);
    this.readyToAdvance.delete(row.executionId);
  }

  setCloseStatus(row: ExecutionRow, closeStatus: ExecutionRow['closeStatus']): void {
    row.closeStatus = closeStatus;
    if (closeStatus === 'ready') this.toClose.add(row.executionId);
    else this.toClose.delete(row.executionId);
  }
}

/** The first `limit` ids of a set, in insertion order. */
function take(set: ReadonlySet<string>, limit: number): string[] {
  const ids: string[] = [];
  for (const id of set) {
    if (ids.length >= limit) break;
    ids.push(id);
  }
  return ids;
}

export function copy<T>(value: T): T {
  return structuredClone(value);
}
