/**
 * The one store over SQL: every operation of `DurableStorage` as programs of the shared
 * statements (./sql), run by a database's driver. What a database adds is in its backend: the
 * dialect, the few statements that truly differ, how changes are announced to other
 * processes (NOTIFY on PostgreSQL; SQLite's change feed needs nothing from here), and
 * `subscribe`.
 */
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import type {
  CancelResult,
  ClaimRequest,
  CloseResult,
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
  ParentAdvance,
  ProgressUpdate,
  RecoverRequest,
  RecoverResult,
  RunResult,
  StorageNotification,
  WakeGroupMembership,
  WriteBatch,
  WriteOutcome,
} from '@/server/engine/storage';
import type {
  SleepingExecutionRef,
  SleepingTimeoutRequest,
  SleepingTimeoutResult,
  WakeupRequest,
  WakeupResult,
} from '@/server/engine/sleepingTypes';
import { toExecutionRow, toNewRowJson } from './rows';
import { cancelExecution } from './sql/cancels';
import { updateProgress } from './sql/progress';
import { claimReady, claimsRateLimitedTasks, nextDueAt } from './sql/claims';
import { closeExecution, completedChildrenResults } from './sql/closes';
import type { Dialect, DialectStatements, SqlDriver } from './sql/dialect';
import {
  findLostRunningExecutions,
  getChildren,
  getExecution,
  getExecutions,
  listExecutionsToClose,
  listParentsReadyToAdvance,
  pruneFinishedTrees,
  recoverExpiredLeases,
} from './sql/maintenance';
import { resolveRoots } from './sql/idempotency';
import { listExecutors, recordHeartbeat } from './sql/heartbeats';
import { getMetricsCounts } from './sql/metrics';
import {
  countExecutions,
  getExecutionStats,
  getExecutionTree,
  getFlowUsage,
  listExecutions,
} from './sql/queries';
import { acquireLease } from './sql/retention';
import {
  listUnregisteredSleeping,
  purgeExpiredWakeups,
  registerSleeping,
  timeOutSleeping,
  wakeupSleeping,
} from './sql/sleeping';
import { appliedRows, planRunResults } from './sql/runResults';
import type { PrismaStorage, PruneOptions } from './types';
import { insertIntoAppTransaction, rethrowDuplicate } from './appTransaction';

export interface SqlBackend {
  readonly provider: 'sqlite' | 'postgres';
  readonly dialect: Dialect;
  readonly statements: DialectStatements;
  readonly driver: SqlDriver;
  /** Tells other processes of changes that committed (a no-op where they notice by themselves). */
  announce(notifications: StorageNotification[]): Promise<void>;
  /** Run results just applied, as the statement left them. */
  afterRunResults(rows: ExecutionRow[]): Promise<void>;
  subscribe?: (listener: (notification: StorageNotification) => void) => () => void;
  joinWakeGroup?: (onVacancy: () => void) => WakeGroupMembership;
  /** Stops hearing notifications; the driver is closed after it. */
  stopListening(): Promise<void>;
}

export class SqlStorage implements PrismaStorage {
  readonly provider: 'sqlite' | 'postgres';
  readonly subscribe?: (listener: (notification: StorageNotification) => void) => () => void;
  readonly joinWakeGroup?: (onVacancy: () => void) => WakeGroupMembership;
  private readonly d: Dialect;
  private readonly db: SqlDriver;
  private closing: Promise<void> | undefined;

  constructor(private readonly backend: SqlBackend) {
    this.provider = backend.provider;
    this.d = backend.dialect;
    this.db = backend.driver;
    if (backend.subscribe) this.subscribe = backend.subscribe;
    if (backend.joinWakeGroup) this.joinWakeGroup = backend.joinWakeGroup;
  }

  async insertExecutions(
    rows: NewExecutionRow[],
    options: InsertOptions = {},
  ): Promise<InsertedExecution[]> {
    if (rows.length === 0) return [];
    const json = rows.map((row, index) => toNewRowJson(row, index + 1));
    const now = Date.now();
    const { transaction } = options;
    if (transaction) {
      return insertIntoAppTransaction(transaction, this.provider, () =>
        this.db.inAppTransaction(transaction, this.backend.statements.insert(json, true, now)),
      );
    }
    return this.db
      .atomic(() => this.backend.statements.insert(json, false, now))
      .catch(rethrowDuplicate);
  }

  async write({
    inserts,
    claimedInserts,
    results,
    now,
    expireMs,
  }: WriteBatch): Promise<WriteOutcome> {
    if (inserts.length + claimedInserts.length + results.length === 0) {
      return { inserted: [], claimed: [], applied: [] };
    }
    // One numbering across both kinds of insert: it orders their ready sequence.
    const json = [...inserts, ...claimedInserts].map((row, index) => toNewRowJson(row, index + 1));
    const plan = {
      inserts: json.slice(0, inserts.length),
      claimedInserts: json.slice(inserts.length),
      results: planRunResults(results),
      now,
      expireMs,
    };
    const written = await this.db
      .atomic(() => this.backend.statements.write(plan))
      .catch(rethrowDuplicate);
    const applied = written.applied.map(toExecutionRow);
    if (applied.length > 0) await this.backend.afterRunResults(applied);
    return {
      inserted: resolveRoots(json, written.holders).results,
      claimed: written.claimed.map(toExecutionRow),
      applied: appliedRows(results, applied),
    };
  }

  updateProgress(updates: readonly ProgressUpdate[], _now: number): Promise<string[]> {
    if (updates.length === 0) return Promise.resolve([]);
    return this.db.run(() => updateProgress(this.d, updates));
  }

  async claimReadyExecutions(request: ClaimRequest): Promise<ExecutionRow[]> {
    if (request.taskIds.length === 0 || request.limit <= 0) return [];
    // Rate-limited claims record their starts in the same transaction (./sql/claims.ts).
    const program = () => claimReady(this.d, request);
    const rows = await (claimsRateLimitedTasks(request)
      ? this.db.transaction(program)
      : this.db.run(program));
    return rows.map(toExecutionRow);
  }

  getNextDueAt(taskIds: readonly string[]): Promise<number | null> {
    if (taskIds.length === 0) return Promise.resolve(null);
    return this.db.run(() => nextDueAt(this.d, taskIds));
  }

  async applyRunResults(results: RunResult[], now: number): Promise<(ExecutionRow | null)[]> {
    const plan = planRunResults(results);
    if (plan.updates.length === 0) return results.map(() => null);
    const applied = (
      await this.db.atomic(() => this.backend.statements.applyRunResults(plan, now))
    ).map(toExecutionRow);
    await this.backend.afterRunResults(applied);
    return appliedRows(results, applied);
  }

  async closeExecutions(executionIds: string[], now: number): Promise<CloseResult[]> {
    const closed = await this.db.atomic(() =>
      this.backend.statements.closeCompletedChildren(executionIds, now),
    );
    const fast = completedChildrenResults(executionIds, closed);
    const results: CloseResult[] = [];
    for (const id of executionIds) results.push(fast.get(id) ?? (await this.closeOne(id, now)));
    return results;
  }

  /** The general close of one execution, in its own transaction. */
  private async closeOne(executionId: string, now: number): Promise<CloseResult> {
    const result = await this.db.transaction(() => closeExecution(this.d, executionId, now));
    const { cancelledExecutionIds, finishedParentExecutionId } = result;
    await this.backend.announce([
      { type: 'cancelled', executionIds: cancelledExecutionIds },
      {
        type: 'finished',
        executionIds: [
          ...cancelledExecutionIds,
          ...(finishedParentExecutionId ? [finishedParentExecutionId] : []),
        ],
      },
    ]);
    return result;
  }

  advanceParent(executionId: string, advance: ParentAdvance, now: number): Promise<boolean> {
    // Announced by the statement itself where announcing is needed.
    return this.db.atomic(() => this.backend.statements.advanceParent(executionId, advance, now));
  }

  async cancelExecution(
    executionId: string,
    error: DurableExecutionErrorStorageValue,
    now: number,
  ): Promise<CancelResult> {
    const cancelledExecutionIds = await this.db.transaction(() =>
      cancelExecution(this.d, executionId, error, now),
    );
    await this.backend.announce([
      { type: 'cancelled', executionIds: cancelledExecutionIds },
      { type: 'finished', executionIds: cancelledExecutionIds },
    ]);
    return { cancelledExecutionIds };
  }

  async recoverExpiredLeases(request: RecoverRequest): Promise<RecoverResult> {
    if (request.limit <= 0) return { requeuedExecutionIds: [], failedExecutionIds: [] };
    const result = await this.db.run(() => recoverExpiredLeases(this.d, request));
    await this.backend.announce([
      ...(result.requeuedExecutionIds.length > 0 ? [{ type: 'work_ready' } as const] : []),
      { type: 'finished', executionIds: result.failedExecutionIds },
    ]);
    return result;
  }

  async registerSleepingExecutions(
    refs: SleepingExecutionRef[],
    now: number,
  ): Promise<ExecutionRow[]> {
    if (refs.length === 0) return [];
    const rows = await this.db.transaction(() => registerSleeping(this.d, refs, now));
    return this.announceFinished(rows.map(toExecutionRow));
  }

  async wakeupSleepingExecution(request: WakeupRequest): Promise<WakeupResult> {
    const result = await this.db.transaction(() => wakeupSleeping(this.d, request));
    if (result.kind === 'applied') await this.announceFinished([result.execution]);
    return result;
  }

  async timeOutSleepingExecutions(request: SleepingTimeoutRequest): Promise<SleepingTimeoutResult> {
    const result = await this.db.run(() => timeOutSleeping(this.d, request));
    await this.backend.announce([{ type: 'finished', executionIds: result.timedOutExecutionIds }]);
    return result;
  }

  async listUnregisteredSleepingExecutions(limit: number): Promise<ExecutionRow[]> {
    const rows = await this.db.run(() => listUnregisteredSleeping(this.d, limit));
    return rows.map(toExecutionRow);
  }

  private async announceFinished(rows: ExecutionRow[]): Promise<ExecutionRow[]> {
    if (rows.length > 0) {
      await this.backend.announce([
        { type: 'finished', executionIds: rows.map((row) => row.executionId) },
      ]);
    }
    return rows;
  }

  listExecutionsToClose(limit: number): Promise<string[]> {
    return this.db.run(() => listExecutionsToClose(this.d, limit));
  }

  listParentsReadyToAdvance(limit: number): Promise<string[]> {
    return this.db.run(() => listParentsReadyToAdvance(this.d, limit));
  }

  async getExecution(executionId: string): Promise<ExecutionRow | null> {
    const row = await this.db.run(() => getExecution(this.d, executionId));
    return row ? toExecutionRow(row) : null;
  }

  async getExecutions(executionIds: readonly string[]): Promise<ExecutionRow[]> {
    if (executionIds.length === 0) return [];
    const rows = await this.db.run(() => getExecutions(this.d, executionIds));
    return rows.map(toExecutionRow);
  }

  findLostRunningExecutions(
    running: { executionId: string; leaseToken: number }[],
  ): Promise<string[]> {
    if (running.length === 0) return Promise.resolve([]);
    return this.db.run(() => findLostRunningExecutions(this.d, running));
  }

  async getChildren(parentExecutionId: string): Promise<ExecutionRow[]> {
    const rows = await this.db.run(() => getChildren(this.d, parentExecutionId));
    return rows.map(toExecutionRow);
  }

  listExecutions(query: ExecutionListQuery): Promise<ExecutionRow[]> {
    if (query.limit <= 0 || query.statuses?.length === 0) return Promise.resolve([]);
    return this.db.run(() => listExecutions(this.d, query));
  }

  countExecutions(filter: ExecutionFilter): Promise<number> {
    if (filter.statuses?.length === 0) return Promise.resolve(0);
    return this.db.run(() => countExecutions(this.d, filter));
  }

  getExecutionTree(rootExecutionId: string): Promise<ExecutionRow[]> {
    return this.db.run(() => getExecutionTree(this.d, rootExecutionId));
  }

  getExecutionStats(): Promise<ExecutionStats> {
    return this.db.run(() => getExecutionStats(this.d));
  }

  getMetricsCounts(query: MetricsQuery): Promise<MetricsCounts> {
    return this.db.run(() => getMetricsCounts(this.d, query));
  }

  recordHeartbeat(heartbeat: ExecutorHeartbeat, forgetBefore: number): Promise<void> {
    // Two statements, no transaction needed: the delete only tidies up.
    return this.db.run(() => recordHeartbeat(this.d, heartbeat, forgetBefore));
  }

  listExecutors(since: number): Promise<ExecutorHeartbeat[]> {
    return this.db.run(() => listExecutors(this.d, since));
  }

  getFlowUsage(query: FlowUsageQuery): Promise<FlowUsage[]> {
    if (query.limits.length === 0) return Promise.resolve([]);
    return this.db.run(() => getFlowUsage(this.d, query));
  }

  async pruneFinishedExecutions({ olderThan, batchSize = 500 }: PruneOptions): Promise<number> {
    let deleted = 0;
    for (;;) {
      const count = await this.db.run(() =>
        pruneFinishedTrees(this.d, olderThan.getTime(), batchSize),
      );
      if (count === 0) return deleted;
      deleted += count;
    }
  }

  acquireMaintenanceLease(request: {
    name: string;
    owner: string;
    now: number;
    ttlMs: number;
  }): Promise<boolean> {
    return this.db.run(() => acquireLease(this.d, request));
  }

  /** One bounded batch: a short statement each, never a long lock. */
  async pruneFinishedTreesBatch({
    olderThan,
    limit,
    now,
  }: {
    olderThan: number;
    limit: number;
    now: number;
  }): Promise<number> {
    await this.db.run(() => purgeExpiredWakeups(this.d, now));
    return this.db.run(() => pruneFinishedTrees(this.d, olderThan, limit));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.backend.stopListening();
      await this.db.close();
    })();
    return this.closing;
  }
}
