/**
 * The in-memory store's running phase: claiming due executions under a lease, applying what a
 * run produced, and recovering runs whose lease expired. A write counts only while the row is
 * still running under the lease token it was claimed with, so late results are ignored.
 */
import type { InMemoryRows } from './inMemoryRows';
import type { InMemoryFlow } from './inMemoryFlow';
import { MinHeap } from './minHeap';
import { claimsBefore } from './readyQueue';
import type {
  ClaimRequest,
  ExecutionRow,
  RecoverRequest,
  RecoverResult,
  RunResult,
} from './storage';

interface LeaseEntry {
  expiresAt: number;
  executionId: string;
  leaseToken: number;
}

export class InMemoryRuns {
  /** Entries go stale when their row finishes or is reclaimed; they are skipped when popped. */
  private readonly leases = new MinHeap<LeaseEntry>((a, b) => a.expiresAt < b.expiresAt);

  constructor(
    private readonly rows: InMemoryRows,
    private readonly flow: InMemoryFlow,
  ) {}

  /**
   * Returns the claimed rows live; the store copies them. Highest priority, then oldest
   * startAt first; limited tasks only within their keys' free slots and budgets.
   */
  claim({ taskIds, limit, now, expireMs, flowLimits = [] }: ClaimRequest): ExecutionRow[] {
    const limits = flowLimits.filter((l) => taskIds.includes(l.taskId));
    const limitedIds = new Set(limits.map((l) => l.taskId));
    const plainIds = taskIds.filter((id) => !limitedIds.has(id));
    const eligible = limits.length > 0 ? this.flow.eligible(limits, now, limit) : [];
    const claimed: ExecutionRow[] = [];
    while (claimed.length < limit) {
      const plain = this.rows.peekDue(plainIds, now);
      const limited = eligible[0];
      const entry = plain && (!limited || claimsBefore(plain, limited)) ? plain : eligible.shift();
      if (entry === undefined) break;
      this.rows.take(entry);
      const row = this.rows.mustGet(entry.executionId);
      if (limitedIds.has(row.taskId)) this.rows.markRunning(row);
      this.startRunning(row, now, expireMs);
      claimed.push(row);
    }
    if (limits.length > 0) {
      this.flow.recordStarts(
        limits,
        claimed.map((row) => row.executionId),
        now,
      );
      for (const id of this.flow.pushOverBudget(limits, now)) {
        this.rows.requeue(this.rows.mustGet(id));
      }
    }
    return claimed;
  }

  /** Claims a row inserted just now, for the executor that enqueued it. */
  claimInserted(executionId: string, now: number, expireMs: number): ExecutionRow {
    const row = this.rows.mustGet(executionId);
    this.startRunning(row, now, expireMs);
    return row;
  }

  /** False when the lease was lost (recovered, cancelled or already applied). */
  apply({ executionId, leaseToken, outcome }: RunResult, now: number): boolean {
    const row = this.rows.get(executionId);
    if (!row || !holdsLease(row, leaseToken)) return false;
    row.expiresAt = null;
    row.updatedAt = now;
    switch (outcome.kind) {
      case 'completed':
        row.status = 'completed';
        row.output = outcome.output;
        row.runOutput = outcome.runOutput;
        this.rows.finish(row, now);
        break;
      case 'waiting_for_children':
        row.status = 'waiting_for_children_tasks';
        row.runOutput = outcome.runOutput;
        row.childrenCount = outcome.children.length;
        row.finishedChildrenCount = 0;
        // A child whose idempotency key another execution holds is linked to it.
        this.flow.takeKeys(outcome.children, now).forEach(({ executionId }, index) => {
          const child = outcome.children[index]!;
          this.rows.insert(child, executionId === child.executionId ? null : executionId);
        });
        break;
      case 'waiting_for_finalize':
        row.status = 'waiting_for_finalize_task';
        row.runOutput = outcome.runOutput;
        row.finalizeTaskExecutionId = outcome.finalize.executionId;
        row.finalizeTaskId = outcome.finalize.taskId;
        this.rows.insert(outcome.finalize);
        break;
      case 'retry':
        row.status = 'ready';
        row.error = outcome.error;
        row.retryAttempts += 1;
        row.startAt = outcome.startAt;
        this.rows.requeue(row);
        break;
      case 'finished_with_error':
        row.status = outcome.status;
        row.error = outcome.error;
        this.rows.finish(row, now);
        break;
    }
    return true;
  }

  /** Requeues expired runs with recovery attempts left and fails the rest, oldest first. */
  recoverExpired({ now, maxRecoveryAttempts, error, limit }: RecoverRequest): RecoverResult {
    const result: RecoverResult = { requeuedExecutionIds: [], failedExecutionIds: [] };
    while (result.requeuedExecutionIds.length + result.failedExecutionIds.length < limit) {
      const top = this.leases.peek();
      if (!top || top.expiresAt >= now) break;
      this.leases.pop();
      const row = this.rows.get(top.executionId);
      if (!row || !holdsLease(row, top.leaseToken)) continue;
      row.error = error;
      row.expiresAt = null;
      row.updatedAt = now;
      if (row.recoveryAttempts < maxRecoveryAttempts) {
        row.recoveryAttempts += 1;
        row.status = 'ready';
        row.startAt = now;
        this.rows.requeue(row);
        result.requeuedExecutionIds.push(row.executionId);
      } else {
        row.status = 'failed';
        this.rows.finish(row, now);
        result.failedExecutionIds.push(row.executionId);
      }
    }
    return result;
  }

  private startRunning(row: ExecutionRow, now: number, expireMs: number): void {
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
  }

  /** True when an executor's run no longer holds its lease and should be abandoned. */
  isLost({ executionId, leaseToken }: { executionId: string; leaseToken: number }): boolean {
    const row = this.rows.get(executionId);
    return !row || !holdsLease(row, leaseToken);
  }
}

function holdsLease(row: ExecutionRow, leaseToken: number): boolean {
  return row.status === 'running' && row.leaseToken === leaseToken;
}
