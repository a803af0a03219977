/**
 * The in-memory store's sleeping executions and wakeups: the reference for the SQL stores'
 * statements (../storage/sql/sleeping.ts). Every method runs synchronously, so each is atomic.
 */
import type { InMemoryRows } from './inMemoryRows';
import {
  DEFAULT_WAKEUP_TTL_MS,
  SLEEPING_TIMED_OUT_ERROR,
  type SleepingExecutionRef,
  type SleepingTimeoutRequest,
  type SleepingTimeoutResult,
  type StoredWakeupOutcome,
  type WakeupRequest,
  type WakeupResult,
} from './sleepingTypes';
import type { ExecutionRow } from './storage';
import { isFinishedStatus } from './types';
import type { DurableExecutionErrorStorageValue } from './errors';

interface WakeupEntry {
  executionId: string | null;
  outcome: StoredWakeupOutcome | null;
  expiresAt: number;
}

/** Stored on an execution enqueued for a unique id another active execution waits on. */
export function duplicateWaitError(ref: SleepingExecutionRef, holder: string) {
  return {
    errorType: 'generic',
    message: `Execution ${holder} of sleeping task ${ref.taskId} already waits for unique id ${ref.uniqueId}`,
    isRetryable: false,
  } satisfies DurableExecutionErrorStorageValue;
}

export class InMemorySleeping {
  private readonly wakeups = new Map<string, WakeupEntry>();

  constructor(private readonly rows: InMemoryRows) {}

  register(refs: readonly SleepingExecutionRef[], now: number): ExecutionRow[] {
    const finished: ExecutionRow[] = [];
    for (const ref of refs) {
      const row = this.rows.get(ref.executionId);
      if (!row || row.status !== 'waiting_for_event') continue;
      const key = keyOf(ref.taskId, ref.uniqueId);
      const entry = this.live(key, now) ?? { executionId: null, outcome: null, expiresAt: now };
      this.wakeups.set(key, entry);
      const holder = entry.executionId === null ? null : this.rows.get(entry.executionId);
      if (
        entry.outcome === null &&
        holder &&
        holder.executionId !== row.executionId &&
        holder.status === 'waiting_for_event'
      ) {
        this.finish(
          row,
          { status: 'failed', error: duplicateWaitError(ref, holder.executionId) },
          now,
        );
        finished.push(row);
        continue;
      }
      entry.executionId = row.executionId;
      entry.expiresAt = Math.max(entry.expiresAt, ref.deadlineAt + DEFAULT_WAKEUP_TTL_MS);
      if (entry.outcome !== null) {
        this.finish(row, entry.outcome, now);
        finished.push(row);
      }
    }
    return finished;
  }

  wakeup({ taskId, uniqueId, outcome, now, ttlMs }: WakeupRequest): WakeupResult {
    const key = keyOf(taskId, uniqueId);
    const entry = this.live(key, now);
    if (entry?.outcome) {
      return { kind: 'duplicate', outcome: entry.outcome, executionId: entry.executionId };
    }
    const row = entry?.executionId ? this.rows.get(entry.executionId) : undefined;
    if (row && row.status !== 'waiting_for_event') return { kind: 'refused', execution: row };
    const expiresAt = Math.max(entry?.expiresAt ?? 0, now + ttlMs);
    this.wakeups.set(key, { executionId: row?.executionId ?? null, outcome, expiresAt });
    if (!row) return { kind: 'kept', expiresAt };
    this.finish(row, outcome, now);
    return { kind: 'applied', execution: row };
  }

  timeOut({ now, limit }: SleepingTimeoutRequest): SleepingTimeoutResult {
    const timedOutExecutionIds: string[] = [];
    let nextDeadlineAt: number | null = null;
    for (const id of this.rows.sleepingIds()) {
      const row = this.rows.mustGet(id);
      const deadline = row.expiresAt ?? now;
      if (deadline <= now && timedOutExecutionIds.length < limit) {
        row.status = 'timed_out';
        row.error = SLEEPING_TIMED_OUT_ERROR;
        this.rows.finish(row, now);
        timedOutExecutionIds.push(id);
      } else {
        nextDeadlineAt = nextDeadlineAt === null ? deadline : Math.min(nextDeadlineAt, deadline);
      }
    }
    return { timedOutExecutionIds, nextDeadlineAt };
  }

  listUnregistered(limit: number): ExecutionRow[] {
    const registered = new Set<string>();
    for (const entry of this.wakeups.values()) {
      if (entry.executionId !== null) registered.add(entry.executionId);
    }
    return this.rows
      .sleepingIds()
      .filter((id) => !registered.has(id))
      .slice(0, limit)
      .map((id) => this.rows.mustGet(id));
  }

  /** Forgets expired wakeups; how many. */
  purgeExpired(now: number): number {
    let purged = 0;
    for (const [key, entry] of this.wakeups) {
      if (entry.expiresAt <= now) {
        this.wakeups.delete(key);
        purged += 1;
      }
    }
    return purged;
  }

  private live(key: string, now: number): WakeupEntry | undefined {
    const entry = this.wakeups.get(key);
    if (entry && entry.expiresAt <= now && entry.outcome !== null) {
      // An expired outcome is forgotten; the execution it was for stays known.
      entry.outcome = null;
    }
    return entry;
  }

  private finish(row: ExecutionRow, outcome: StoredWakeupOutcome, now: number): void {
    if (isFinishedStatus(row.status)) return;
    if (outcome.status === 'completed') {
      row.status = 'completed';
      row.output = outcome.output;
    } else {
      row.status = 'failed';
      row.error = outcome.error;
    }
    this.rows.finish(row, now);
  }
}

function keyOf(taskId: string, uniqueId: string): string {
  return `${taskId}\u0000${uniqueId}`;
}
