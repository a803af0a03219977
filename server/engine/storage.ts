/**
 * The storage interface: the small set of atomic, batch-friendly operations the engine needs.
 * Every write is guarded (compare-and-set on status and lease token), so several executors on
 * one store, a crash between any two calls, or a late result never corrupt a tree.
 * In-memory, SQLite and PostgreSQL implement the same surface and pass the same suite.
 */
import type {
  ChildFailurePolicy,
  ChildTaskError,
  FinishedTaskExecutionStatus,
  TaskExecutionStatus,
} from './types';
import type { DurableExecutionErrorStorageValue } from './errors';
import type {
  SleepingExecutionRef,
  SleepingTimeoutRequest,
  SleepingTimeoutResult,
  WakeupRequest,
  WakeupResult,
} from './sleepingTypes';
import type { RetentionStorage } from './retention';

/** Stored on a parent that moved to `children_tasks_failed` (details in childrenTasksErrors). */
export const CHILDREN_TASKS_FAILED_ERROR: DurableExecutionErrorStorageValue = Object.freeze({
  errorType: 'generic',
  message: 'Children tasks failed',
  isRetryable: false,
});

/** Stored on a parent that moved to `finalize_task_failed` (details in finalizeTaskError). */
export const FINALIZE_TASK_FAILED_ERROR: DurableExecutionErrorStorageValue = Object.freeze({
  errorType: 'generic',
  message: 'Finalize task failed',
  isRetryable: false,
});

/** Stored on every execution cancelled directly or because an ancestor did not complete. */
export const CASCADE_CANCELLED_ERROR: DurableExecutionErrorStorageValue = Object.freeze({
  errorType: 'cancelled',
  message: 'Task cancelled',
  isRetryable: false,
});

/**
 * Stored on an execution whose lease expired (its executor died or hung): as `prevError` of
 * the recovery, or as the error once `maxRecoveryAttempts` are used up.
 */
export const EXECUTOR_LOST_ERROR: DurableExecutionErrorStorageValue = Object.freeze({
  errorType: 'generic',
  message: 'Executor lost: the lease of the execution expired',
  isRetryable: true,
});

/** Normalised retry options as stored (defaults filled in). */
export interface StoredRetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  delayMultiplier: number;
  /** `null` means unbounded. */
  maxDelayMs: number | null;
}

/** Where an execution sits in a tree. All ids are execution ids unless named task ids. */
export interface ExecutionTreePosition {
  rootTaskId: string | null;
  rootExecutionId: string | null;
  parentTaskId: string | null;
  parentExecutionId: string | null;
  /** Index among the parent's children; -1 for a finalize task. */
  indexInParent: number;
  isFinalizeTask: boolean;
}

/** A new execution, ready to be inserted with status `ready`. */
export interface NewExecutionRow extends ExecutionTreePosition {
  executionId: string;
  taskId: string;
  /** Serialized input. */
  runInput: string;
  retryOptions: StoredRetryOptions;
  sleepMsBeforeRun: number;
  timeoutMs: number;
  /** Epoch ms when it becomes due (createdAt + sleepMsBeforeRun). */
  startAt: number;
  createdAt: number;
  /** Its task's policy for children that do not complete (relevant to parents only). */
  onChildFailure: ChildFailurePolicy;
  /** Higher first among due executions. */
  priority: number;
  /** What its task's concurrency limit counts it under ('' for the whole task); null: none. */
  concurrencyKey: string | null;
  /** What its task's rate limit counts it under ('' for the whole task); null: none. */
  rateKey: string | null;
  /** Unique per task until `idempotencyExpiresAt`. */
  idempotencyKey: string | null;
  idempotencyExpiresAt: number | null;
  /**
   * W3C trace context of the span that enqueued it (JSON of `{ traceparent, tracestate? }`),
   * so its attempts' spans join that trace; null or absent when no tracing SDK is registered.
   */
  traceContext?: string | null;
  /**
   * A sleeping task's execution: inserted `waiting_for_event` (never claimed, never run) with
   * its deadline, createdAt + timeoutMs, as expiresAt.
   */
  waitsForEvent?: boolean;
  /** Who it belongs to (an opaque string from the app's access policy); children inherit it. */
  owner: string | null;
}

/**
 * `closeStatus` tracks the follow-up of a finished execution: `ready` until its parent has
 * been updated and its active descendants cancelled, then `closed`. Active rows are `idle`.
 */
export type CloseStatus = 'idle' | 'ready' | 'closed';

/** One stored execution (its idempotency key's expiry is kept with the key). Timestamps are epoch milliseconds. */
export interface ExecutionRow extends Omit<
  NewExecutionRow,
  'idempotencyExpiresAt' | 'traceContext' | 'waitsForEvent'
> {
  /** See `NewExecutionRow.traceContext`. */
  traceContext: string | null;
  status: TaskExecutionStatus;
  /** Serialized output of `run` / `runParent`. */
  runOutput: string | null;
  /** Serialized final output (completed only). */
  output: string | null;
  /** The finishing error, or the previous attempt's error while waiting for a retry. */
  error: DurableExecutionErrorStorageValue | null;
  retryAttempts: number;
  recoveryAttempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Lease end of a running execution: startedAt + timeoutMs + expireMs. */
  expiresAt: number | null;
  /** Fencing token, incremented by every claim; results carry it back. */
  leaseToken: number;
  childrenCount: number;
  finishedChildrenCount: number;
  childrenTasksErrors: ChildTaskError[] | null;
  finalizeTaskExecutionId: string | null;
  finalizeTaskId: string | null;
  finalizeTaskError: DurableExecutionErrorStorageValue | null;
  closeStatus: CloseStatus;
  updatedAt: number;
  /**
   * A child whose idempotency key another execution held: it runs no code, it waits for that
   * execution and finishes with its outcome.
   */
  linkedExecutionId: string | null;
  /** The last progress its code reported (JSON of a `TaskProgress`). */
  progress: string | null;
}

/** The limits of one task that a claim must keep, across every executor on the store. */
export interface TaskFlowLimits {
  taskId: string;
  /** Running at once per concurrency key. */
  concurrencyLimit: number | null;
  /** Starts per period per rate key. */
  rateLimit: { limit: number; periodMs: number } | null;
}

export interface ClaimRequest {
  /** Only executions of these tasks are claimed (tasks this executor has registered). */
  taskIds: readonly string[];
  /**
   * The limits of those of `taskIds` that have any: their executions are claimed, highest
   * priority then oldest first, only within each key's free concurrency slots and rate budget;
   * a rate-limited key out of budget has its due executions' startAt pushed to when its budget
   * frees up.
   */
  flowLimits?: readonly TaskFlowLimits[];
  limit: number;
  now: number;
  /** Lease leeway added to the execution's own timeout. */
  expireMs: number;
}

/** How a run ended, as the engine decided. Applied only if still running with the same token. */
export type RunOutcome =
  | { kind: 'completed'; output: string; runOutput: string | null }
  | { kind: 'waiting_for_children'; runOutput: string; children: NewExecutionRow[] }
  | { kind: 'waiting_for_finalize'; runOutput: string; finalize: NewExecutionRow }
  | { kind: 'retry'; error: DurableExecutionErrorStorageValue; startAt: number }
  | {
      kind: 'finished_with_error';
      status: 'failed' | 'timed_out' | 'cancelled';
      error: DurableExecutionErrorStorageValue;
    };

export interface RunResult {
  executionId: string;
  leaseToken: number;
  outcome: RunOutcome;
}

/** What the engine must follow up after a close. */
export interface CloseResult {
  /** Active descendants cancelled by this close (abort their running code). */
  cancelledExecutionIds: string[];
  /** The parent finished because of this close; close it next. */
  finishedParentExecutionId: string | null;
  /** The parent's last child completed: build its output or insert its finalize next. */
  parentReadyToAdvanceExecutionId: string | null;
}

/** How a parent whose children all completed moves on. Guarded on that state. */
export type ParentAdvance =
  | { kind: 'completed'; output: string }
  | { kind: 'waiting_for_finalize'; finalize: NewExecutionRow }
  | { kind: 'failed'; error: DurableExecutionErrorStorageValue };

export interface RecoverRequest {
  now: number;
  maxRecoveryAttempts: number;
  /** Stored as the error ("executor lost") of every recovered execution. */
  error: DurableExecutionErrorStorageValue;
  limit: number;
}

export interface RecoverResult {
  /** Put back to `ready` (a recovery attempt used). */
  requeuedExecutionIds: string[];
  /** Out of recovery attempts: `failed`, close them next. */
  failedExecutionIds: string[];
}

export interface CancelResult {
  /** Every execution moved to `cancelled` (the target and its active descendants). */
  cancelledExecutionIds: string[];
}

/** Notifications between processes sharing a store (PostgreSQL LISTEN/NOTIFY). */
export type StorageNotification =
  | { type: 'work_ready' }
  | { type: 'cancelled'; executionIds: string[] }
  | {
      type: 'finished';
      executionIds: string[];
      /**
       * The finished rows as committed, when the store could send them along (small
       * enough): a waiter elsewhere returns one of them instead of reading it back.
       */
      rows?: ExecutionRow[];
    };

/**
 * The app's own database transaction, to enqueue in: for the Prisma stores, the client that
 * `prisma.$transaction(async (tx) => ...)` hands to its callback (any generated client, any
 * schema). The store runs its statements through these raw-query methods, so the executions
 * exist if and only if the app's transaction commits.
 */
export interface ExternalTransaction {
  $queryRawUnsafe(query: string, ...values: unknown[]): PromiseLike<unknown>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<unknown>;
}

/** What became of one row of an insert. */
export interface InsertedExecution {
  /** The row's own id, or, when its idempotency key was taken, the execution that holds it. */
  executionId: string;
  created: boolean;
}

export interface InsertOptions {
  /** Insert inside this transaction of the app's instead of committing on the store's own. */
  transaction?: ExternalTransaction;
}

/**
 * Writes that arrived together, committed together (group commit across kinds: the result of
 * one run and the next enqueue share one commit). Each part keeps its own guarantees.
 */
export interface WriteBatch {
  /** New roots, inserted `ready`. */
  inserts: NewExecutionRow[];
  /**
   * New roots inserted already claimed (`running`, leaseToken 1, started now) for the
   * executor that enqueued them, which runs them at once: no claim, no wake-up. A row whose
   * idempotency key is taken is neither inserted nor claimed.
   */
  claimedInserts: NewExecutionRow[];
  /** As `applyRunResults`. */
  results: RunResult[];
  now: number;
  /** Lease leeway of the claimed inserts (as a claim's). */
  expireMs: number;
}

export interface WriteOutcome {
  /** At each index of `inserts` then `claimedInserts`, what the row became. */
  inserted: InsertedExecution[];
  /** The claimed inserts that were created, as stored (running). */
  claimed: ExecutionRow[];
  /** As `applyRunResults` returns, at each result's index. */
  applied: (ExecutionRow | null)[];
}

/** The progress of one running execution, as `updateProgress` stores it. */
export interface ProgressUpdate {
  executionId: string;
  leaseToken: number;
  /** JSON of a `TaskProgress`. */
  progress: string;
}

export interface DurableStorage extends Partial<RetentionStorage> {
  /** One commit (one statement where the database allows) for a batch of writes. */
  write(batch: WriteBatch): Promise<WriteOutcome>;

  /**
   * Records an executor's heartbeat (replacing its previous one) and forgets executors not
   * heard from since `forgetBefore`.
   */
  recordHeartbeat(heartbeat: ExecutorHeartbeat, forgetBefore: number): Promise<void>;

  /**
   * Stores the progress of running executions, each only while it is still `running` under
   * the given lease token (a lost lease's late report is dropped). Returns the ids updated.
   */
  updateProgress(updates: readonly ProgressUpdate[], now: number): Promise<string[]>;

  /**
   * Inserts new root executions (status `ready`, closeStatus `idle`). In the app's
   * transaction, the store wakes executors (other processes and this one) only once it
   * commits; a store that cannot join such a transaction throws.
   */
  insertExecutions(rows: NewExecutionRow[], options?: InsertOptions): Promise<InsertedExecution[]>;

  /**
   * Atomically moves up to `limit` due `ready` executions of `taskIds` to `running`, oldest
   * `startAt` first: sets startedAt = now, expiresAt = now + timeoutMs + expireMs, and
   * increments leaseToken. Two concurrent claims never return the same execution.
   */
  claimReadyExecutions(request: ClaimRequest): Promise<ExecutionRow[]>;

  /** Earliest `startAt` of a `ready` execution of `taskIds`, to sleep until it is due. */
  getNextDueAt(taskIds: readonly string[]): Promise<number | null>;

  /**
   * Applies run results. Each is applied only when the execution is still `running` with the
   * same leaseToken, otherwise dropped. Children or a finalize are inserted in the same
   * transaction as their parent's guarded update. Finished results set closeStatus `ready`
   * (or `closed` for a root with nothing to follow up). Returns, at each result's index, the
   * execution as the update left it (what a waiter on a finish returns without reading it
   * again), or null when the result was dropped.
   */
  applyRunResults(results: RunResult[], now: number): Promise<(ExecutionRow | null)[]>;

  /**
   * Idempotent follow-up of finished executions (a batch: the result at each id's index).
   * For each, a no-op unless its closeStatus is `ready`. Sets it `closed`; when it did not complete, cancels its active
   * descendants (marked `closed`: their parents are finished too); then updates the parent:
   * - finalize task: parent `completed` with its output, or `finalize_task_failed`
   *   (only from `waiting_for_finalize_task`);
   * - child: finishedChildrenCount + 1 atomically; a child that did not complete moves a
   *   `waiting_for_children_tasks` parent to `children_tasks_failed` (childrenTasksErrors
   *   [that child], other active children cancelled when the parent is closed), and adds to
   *   the errors of a parent already failed; the last completed child reports the parent
   *   ready to advance.
   * A parent that finished here gets closeStatus `ready`.
   * Each id's follow-up is atomic; a batch lets completed children of one parent be counted
   * with a few statements instead of a transaction each.
   */
  closeExecutions(executionIds: string[], now: number): Promise<CloseResult[]>;

  /**
   * Moves a `waiting_for_children_tasks` parent whose children all finished (and none
   * failed) on, inserting the finalize row in the same transaction. False if already done.
   */
  advanceParent(executionId: string, advance: ParentAdvance, now: number): Promise<boolean>;

  /**
   * Cancels an active execution and all its active descendants (one transaction). The target
   * gets closeStatus `ready` (its parent must learn of it); descendants `closed`.
   * A finished execution is left as is (empty result).
   */
  cancelExecution(
    executionId: string,
    error: DurableExecutionErrorStorageValue,
    now: number,
  ): Promise<CancelResult>;

  /** Running executions whose lease ended before `now`: requeue (recovery attempt) or fail. */
  recoverExpiredLeases(request: RecoverRequest): Promise<RecoverResult>;

  /** Finished executions still waiting for their follow-up (closeStatus `ready`). */
  listExecutionsToClose(limit: number): Promise<string[]>;

  /** Parents in `waiting_for_children_tasks` whose children have all finished. */
  listParentsReadyToAdvance(limit: number): Promise<string[]>;

  getExecution(executionId: string): Promise<ExecutionRow | null>;

  /** The executions of `executionIds` that exist, in any order (one read for many waits). */
  getExecutions(executionIds: readonly string[]): Promise<ExecutionRow[]>;

  /** Of `executionIds`, those whose status is no longer `running` with that token. */
  findLostRunningExecutions(
    running: { executionId: string; leaseToken: number }[],
  ): Promise<string[]>;

  /** Children (not the finalize task) of a parent, by index. */
  getChildren(parentExecutionId: string): Promise<ExecutionRow[]>;

  /**
   * Registers sleeping executions just inserted (`waiting_for_event`) under their unique ids,
   * and applies a wakeup that arrived before them (kept until its expiry): those rows finish
   * here. An execution whose unique id another active execution already waits on fails at
   * once. Locks each unique id's wakeup row first, as `wakeupSleepingExecution` does, so a
   * wakeup racing the insert is never missed. Idempotent. Returns the rows it finished.
   */
  registerSleepingExecutions(refs: SleepingExecutionRef[], now: number): Promise<ExecutionRow[]>;

  /**
   * Wakes the execution waiting on `uniqueId` of `taskId` with `outcome`, exactly once (see
   * `WakeupResult`). With no such execution yet, the wakeup is kept until `now + ttlMs`.
   */
  wakeupSleepingExecution(request: WakeupRequest): Promise<WakeupResult>;

  /** `waiting_for_event` rows past their deadline -> `timed_out`; and the next deadline. */
  timeOutSleepingExecutions(request: SleepingTimeoutRequest): Promise<SleepingTimeoutResult>;

  /** `waiting_for_event` rows not yet registered (a crash between insert and register). */
  listUnregisteredSleepingExecutions(limit: number): Promise<ExecutionRow[]>;

  /**
   * Notifications from other processes (and possibly this one). Optional: stores shared
   * only within one process rely on the engine's in-process wake-ups.
   */
  subscribe?(listener: (notification: StorageNotification) => void): () => void;

  /**
   * Optional: lets the executors that serve the same tasks elect one of them to answer
   * other processes' `work_ready`, so an enqueue wakes one claim instead of one per executor.
   * `onVacancy` is called when a leader of this store's groups steps down or leaves.
   */
  joinWakeGroup?(onVacancy: () => void): WakeGroupMembership;
}

/**
 * One executor's place in the wake groups of a store. A group is a set of task ids; at most
 * one member of a group leads at a time, across every process on the database.
 */
export interface WakeGroupMembership {
  /** True while this member leads its group (false after a lost connection). */
  readonly leading: boolean;
  /** Tries to lead `group` (giving up a group it led before); true when it now leads. */
  lead(group: string): Promise<boolean>;
  /** Gives the lead up and announces the vacancy, so a member with free slots takes over. */
  stepDown(): Promise<void>;
}

/** Which executions a list, a count or a bulk action covers (every filter given must match). */
export interface ExecutionFilter {
  statuses?: TaskExecutionStatus[];
  taskId?: string;
  /** Only executions without a parent. */
  rootOnly?: boolean;
  /** Prefix of an execution id. */
  executionIdPrefix?: string;
  /** Created at or after (epoch ms). */
  createdFrom?: number;
  /** Created before (epoch ms, exclusive). */
  createdTo?: number;
  /** A value at a path of the stored input or output (see ./valuePath.ts). */
  valueMatch?: ValueMatch;
}

/**
 * `input.customerId = "c_42"`: the stored input (or final output) holds `value` at `path`,
 * compared as JSON (so `42` and `"42"` differ). Paths are identifiers and array indexes only.
 * Values stored by the default (superjson) serializer are searched in their `json` part.
 */
export interface ValueMatch {
  field: 'input' | 'output';
  path: readonly (string | number)[];
  value: string | number | boolean | null;
}

/** Filters of the execution list (newest first, cursor-paginated). */
export interface ExecutionListQuery extends ExecutionFilter {
  /** Continue after this row (exclusive), as returned in the previous page. */
  cursor?: { createdAt: number; executionId: string };
  limit: number;
}

/** How much of each limited task's concurrency and rate budget is in use, per key. */
export interface FlowUsage {
  taskId: string;
  kind: 'concurrency' | 'rate';
  /** '' for a limit over the whole task. */
  key: string;
  /** Running executions (concurrency), or starts within the period (rate). */
  count: number;
}

export interface FlowUsageQuery {
  limits: readonly TaskFlowLimits[];
  now: number;
  /** Only these keys (of either kind); all keys otherwise. */
  keys?: readonly string[];
}

export interface ExecutionStats {
  byStatus: Partial<Record<TaskExecutionStatus, number>>;
  byTask: { taskId: string; status: TaskExecutionStatus; count: number }[];
}

/** What an executor last said of itself (its heartbeat), for the workers page. */
export interface ExecutorHeartbeat {
  executorId: string;
  host: string;
  pid: number;
  /** The app's version, as the executor host was told it. */
  version: string;
  taskIds: string[];
  /** Executions it was running at its last heartbeat. */
  runningExecutionIds: string[];
  startedAt: number;
  heartbeatAt: number;
  /** Set by its last heartbeat when it shut down cleanly. */
  stoppedAt: number | null;
}

/** Grouped counts over a recent window, for the metrics page (./metrics.ts). */
export interface MetricsQuery {
  /** The first bucket's start; bucket i covers [since + i * bucketMs, since + (i+1) * bucketMs). */
  since: number;
  bucketMs: number;
  taskId?: string;
}

export interface MetricsCounts {
  /** Executions finished in each bucket, by status and run-duration bin (null: never started). */
  finished: {
    bucket: number;
    status: FinishedTaskExecutionStatus;
    bin: number | null;
    count: number;
  }[];
  /** Queue waits (startedAt - startAt) of the executions finished in each bucket, by bin. */
  queueWaits: { bucket: number; bin: number | null; count: number }[];
  /** Executions created in each bucket. */
  enqueued: { bucket: number; count: number }[];
}

/** Reads for dashboards and APIs; not on the engine's hot path. */
export interface DurableStorageQueries {
  /** Grouped counts since `query.since`, using the finished-at and created-at indexes. */
  getMetricsCounts(query: MetricsQuery): Promise<MetricsCounts>;
  /** Executors heard from since `since`, most recently started first. */
  listExecutors(since: number): Promise<ExecutorHeartbeat[]>;
  /** Ordered by createdAt desc, then executionId desc. */
  listExecutions(query: ExecutionListQuery): Promise<ExecutionRow[]>;
  /** How many executions match `filter` (the confirmation of a bulk action). */
  countExecutions(filter: ExecutionFilter): Promise<number>;
  /** The root and every execution whose rootExecutionId is it. */
  getExecutionTree(rootExecutionId: string): Promise<ExecutionRow[]>;
  getExecutionStats(): Promise<ExecutionStats>;
  /** Concurrency slots and rate budget in use, per limited task and key. */
  getFlowUsage(query: FlowUsageQuery): Promise<FlowUsage[]>;
}
