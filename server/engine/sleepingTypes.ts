/**
 * Sleeping tasks as the store sees them: an execution that waits (`waiting_for_event`) for a
 * wakeup sent by unique id, and the wakeups table that makes wakeups race-free: one row per
 * task and unique id holds the outcome (kept when it arrives first) and the execution it is
 * for, and both sides lock that row before they act.
 */
import type { DurableExecutionErrorStorageValue } from './errors';
import type { ExecutionRow } from './storage';

/** How long a wakeup that arrived before its execution is kept. @default 24 hours */
export const DEFAULT_WAKEUP_TTL_MS = 24 * 60 * 60 * 1000;

/** Longest unique id of a sleeping task's execution. */
export const MAX_UNIQUE_ID_LENGTH = 255;

/** Stored as the error of a sleeping execution whose deadline passed. */
export const SLEEPING_TIMED_OUT_ERROR: DurableExecutionErrorStorageValue = Object.freeze({
  errorType: 'timed_out',
  message: 'Sleeping task timed out waiting for its wakeup',
  isRetryable: false,
});

/** A sleeping execution and the unique id it waits on. */
export interface SleepingExecutionRef {
  executionId: string;
  taskId: string;
  uniqueId: string;
  /** Its deadline (expiresAt). */
  deadlineAt: number;
}

/** A wakeup's outcome as stored: the serialized output, or the error. */
export type StoredWakeupOutcome =
  | { status: 'completed'; output: string }
  | { status: 'failed'; error: DurableExecutionErrorStorageValue };

export interface WakeupRequest {
  taskId: string;
  uniqueId: string;
  outcome: StoredWakeupOutcome;
  now: number;
  /** How long it is kept when no execution waits on the id yet. */
  ttlMs: number;
}

/**
 * - `applied`: the waiting execution finished with the outcome (as stored now);
 * - `kept`: no execution waits on the id yet; the first one enqueued gets the outcome;
 * - `duplicate`: a wakeup for the id came first; nothing changed, here is its outcome;
 * - `refused`: the execution finished otherwise (timed out, cancelled): nothing stored.
 */
export type WakeupResult =
  | { kind: 'applied'; execution: ExecutionRow }
  | { kind: 'kept'; expiresAt: number }
  | { kind: 'duplicate'; outcome: StoredWakeupOutcome; executionId: string | null }
  | { kind: 'refused'; execution: ExecutionRow };

export interface SleepingTimeoutRequest {
  now: number;
  limit: number;
}

export interface SleepingTimeoutResult {
  timedOutExecutionIds: string[];
  /** The earliest deadline still ahead, to wake up for. */
  nextDeadlineAt: number | null;
}
