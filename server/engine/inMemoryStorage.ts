/**
 * The reference storage: every operation runs synchronously inside one call, so each is
 * atomic by construction. Indexed (ready heaps per task, a lease-expiry heap, children by
 * parent, sets of pending follow-ups) so each operation costs O(log n) per touched row.
 * Rows handed out are copies: callers can never mutate the store. This class is the boundary
 * where copies are made and notifications sent; the row work lives in inMemoryRows (rows and
 * indexes), inMemoryRuns (claims, results, leases) and inMemoryTree (close, cascade, advance).
 */
import type { DurableExecutionErrorStorageValue } from './errors';
import { copy, InMemoryRows } from './inMemoryRows';
import { InMemoryFlow } from './inMemoryFlow';
import { InMemoryRuns } from './inMemoryRuns';
import { InMemorySleeping } from './inMemorySleeping';
import type {
  SleepingExecutionRef,
  SleepingTimeoutRequest,
  SleepingTimeoutResult,
  WakeupRequest,
  WakeupResult,
} from './sleepingTypes';
import { advanceParent, cancelSubtree, closeExecution } from './inMemoryTree';
import { DurableOptionsError } from './options';
import type {
  CancelResult,
  ClaimRequest,
  CloseResult,
  DurableStorage,
  DurableStorageQueries,
  ExecutionFilter,
  ExecutionListQuery,
  ExecutionRow,
  ExecutionStats,
  ExecutorHeartbeat,
  MetricsCounts,
  MetricsQuery,
  FlowUsage,
  FlowUsageQuery,
  InsertedExecution,
  InsertOptions,
  NewExecutionRow,
  WriteBatch,
  WriteOutcome,
  ParentAdvance,
  ProgressUpdate,
  RecoverRequest,
  RecoverResult,
  RunResult,
  StorageNotification,
} from './storage';
import { isFinishedStatus } from './types';

export function createInMemoryStorage(): DurableStorage & DurableStorageQueries {
  return new InMemoryStorage();
}

class InMemoryStorage implements DurableStorage, DurableStorageQueries {
  private readonly rows = new InMemoryRows();
  private readonly flow = new InMemoryFlow(this.rows);
  private readonly runs = new InMemoryRuns(this.rows, this.flow);
  private readonly sleeping = new InMemorySleeping(this.rows);
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  private readonly listeners = new Set<(notification: StorageNotification) => void>();
  private readonly heartbeats = new Map<string, ExecutorHeartbeat>();

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

  insertExecutions(rows: NewExecutionRow[], options?: InsertOptions): Promise<InsertedExecution[]> {
    if (options?.transaction) {
      return Promise.reject(
        new DurableOptionsError(
          'The in-memory store cannot enqueue inside an app transaction: use a Prisma store',
        ),
      );
    }
    try {
      const inserted = this.insert(rows);
      this.notify({ type: 'work_ready' });
      return Promise.resolve(inserted);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async write(batch: WriteBatch): Promise<WriteOutcome> {
    const inserted = this.insert([...batch.inserts, ...batch.claimedInserts]);
    const claimed = batch.claimedInserts
      .filter((_, index) => inserted[batch.inserts.length + index]!.created)
      .map((row) => copy(this.runs.claimInserted(row.executionId, batch.now, batch.expireMs)));
    if (batch.inserts.length > 0) this.notify({ type: 'work_ready' });
    const applied =
      batch.results.length > 0 ? await this.applyRunResults(batch.results, batch.now) : [];
    return { inserted, claimed, applied };
  }

  /** Inserts the rows whose idempotency key is free (all or none: a taken id throws). */
  private insert(rows: NewExecutionRow[]): InsertedExecution[] {
    for (const row of rows) {
      if (this.rows.has(row.executionId))
        throw new Error(`Execution ${row.executionId} already exists`);
    }
    const results = this.flow.takeKeys(rows, Date.now());
    rows.forEach((row, index) => {
      if (results[index]!.created) this.rows.insert(row);
    });
    return results;
  }

  updateProgress(updates: readonly ProgressUpdate[], _now: number): Promise<string[]> {
    const updated: string[] = [];
    for (const update of updates) {
      const row = this.rows.get(update.executionId);
      if (row?.status !== 'running' || row.leaseToken !== update.leaseToken) continue;
      row.progress = update.progress;
      updated.push(update.executionId);
    }
    return Promise.resolve(updated);
  }

  claimReadyExecutions(request: ClaimRequest): Promise<ExecutionRow[]> {
    return Promise.resolve(this.runs.claim(request).map(copy));
  }

  getNextDueAt(taskIds: readonly string[]): Promise<number | null> {
    return Promise.resolve(this.rows.earliestStartAt(taskIds));
  }

  applyRunResults(results: RunResult[], now: number): Promise<(ExecutionRow | null)[]> {
    const applied = results.map((result) =>
      this.runs.apply(result, now) ? copy(this.rows.mustGet(result.executionId)) : null,
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
    const result = closeExecution(this.rows, executionId, now);
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

  advanceParent(executionId: string, advance: ParentAdvance, now: number): Promise<boolean> {
    const row = advanceParent(this.rows, executionId, advance, now);
    if (!row) return Promise.resolve(false);
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
    const cancelledExecutionIds = cancelSubtree(this.rows, executionId, error, now);
    this.notify({ type: 'cancelled', executionIds: cancelledExecutionIds });
    this.notify({ type: 'finished', executionIds: cancelledExecutionIds });
    return Promise.resolve({ cancelledExecutionIds });
  }

  recoverExpiredLeases(request: RecoverRequest): Promise<RecoverResult> {
    const result = this.runs.recoverExpired(request);
    if (result.requeuedExecutionIds.length > 0) this.notify({ type: 'work_ready' });
    this.notify({ type: 'finished', executionIds: result.failedExecutionIds });
    return Promise.resolve(result);
  }

  registerSleepingExecutions(refs: SleepingExecutionRef[], now: number): Promise<ExecutionRow[]> {
    const finished = this.sleeping.register(refs, now).map(copy);
    this.notifyFinished(finished);
    return Promise.resolve(finished);
  }

  wakeupSleepingExecution(request: WakeupRequest): Promise<WakeupResult> {
    const result = this.sleeping.wakeup(request);
    if (result.kind !== 'applied') return Promise.resolve(copy(result));
    const execution = copy(result.execution);
    this.notifyFinished([execution]);
    return Promise.resolve({ kind: 'applied', execution });
  }

  timeOutSleepingExecutions(request: SleepingTimeoutRequest): Promise<SleepingTimeoutResult> {
    const result = this.sleeping.timeOut(request);
    this.notify({ type: 'finished', executionIds: result.timedOutExecutionIds });
    return Promise.resolve(result);
  }

  listUnregisteredSleepingExecutions(limit: number): Promise<ExecutionRow[]> {
    return Promise.resolve(this.sleeping.listUnregistered(limit).map(copy));
  }

  acquireMaintenanceLease({
    name,
    owner,
    now,
    ttlMs,
  }: {
    name: string;
    owner: string;
    now: number;
    ttlMs: number;
  }): Promise<boolean> {
    const lease = this.leases.get(name);
    if (lease && lease.owner !== owner && lease.expiresAt > now) return Promise.resolve(false);
    this.leases.set(name, { owner, expiresAt: now + ttlMs });
    return Promise.resolve(true);
  }

  pruneFinishedTreesBatch({
    olderThan,
    limit,
    now,
  }: {
    olderThan: number;
    limit: number;
    now: number;
  }): Promise<number> {
    this.sleeping.purgeExpired(now);
    return Promise.resolve(this.rows.pruneFinishedTrees(olderThan, limit));
  }

  private notifyFinished(rows: ExecutionRow[]): void {
    this.notify({ type: 'finished', executionIds: rows.map((row) => row.executionId), rows });
  }

  listExecutionsToClose(limit: number): Promise<string[]> {
    return Promise.resolve(this.rows.listToClose(limit));
  }

  listParentsReadyToAdvance(limit: number): Promise<string[]> {
    return Promise.resolve(this.rows.listReadyToAdvance(limit));
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
      running.filter((run) => this.runs.isLost(run)).map(({ executionId }) => executionId),
    );
  }

  getChildren(parentExecutionId: string): Promise<ExecutionRow[]> {
    const ids = this.rows.childIds(parentExecutionId);
    return Promise.resolve(ids.map((id) => copy(this.rows.mustGet(id))));
  }

  listExecutions(query: ExecutionListQuery): Promise<ExecutionRow[]> {
    return Promise.resolve(this.rows.queries.list(query).map(copy));
  }

  countExecutions(filter: ExecutionFilter): Promise<number> {
    return Promise.resolve(this.rows.queries.count(filter));
  }

  getExecutionTree(rootExecutionId: string): Promise<ExecutionRow[]> {
    return Promise.resolve(this.rows.queries.tree(rootExecutionId).map(copy));
  }

  getExecutionStats(): Promise<ExecutionStats> {
    return Promise.resolve(this.rows.queries.stats());
  }

  getFlowUsage(query: FlowUsageQuery): Promise<FlowUsage[]> {
    return Promise.resolve(this.flow.usage(query));
  }

  getMetricsCounts(query: MetricsQuery): Promise<MetricsCounts> {
    return Promise.resolve(this.rows.queries.metricsCounts(query));
  }

  recordHeartbeat(heartbeat: ExecutorHeartbeat, forgetBefore: number): Promise<void> {
    this.heartbeats.set(heartbeat.executorId, structuredClone(heartbeat));
    for (const [id, known] of this.heartbeats) {
      if (known.heartbeatAt < forgetBefore) this.heartbeats.delete(id);
    }
    return Promise.resolve();
  }

  listExecutors(since: number): Promise<ExecutorHeartbeat[]> {
    return Promise.resolve(
      [...this.heartbeats.values()]
        .filter((heartbeat) => heartbeat.heartbeatAt >= since)
        .sort((a, b) => b.startedAt - a.startedAt || (a.executorId < b.executorId ? -1 : 1))
        .map((heartbeat) => structuredClone(heartbeat)),
    );
  }
}
