/** Public types of the engine: statuses, task definitions, executions and run context. */
import type { CancelSignal } from './cancelSignal';
import type { DurableExecutionErrorStorageValue } from './errors';
import type { FlowControlOptions } from './flowControl';
import type { ExternalTransaction } from './storage';

export const ACTIVE_STATUSES = [
  'ready',
  'running',
  'waiting_for_children_tasks',
  'waiting_for_finalize_task',
  'waiting_for_event',
] as const;

export const FINISHED_STATUSES = [
  'completed',
  'failed',
  'timed_out',
  'cancelled',
  'children_tasks_failed',
  'finalize_task_failed',
] as const;

export type ActiveTaskExecutionStatus = (typeof ACTIVE_STATUSES)[number];
export type FinishedTaskExecutionStatus = (typeof FINISHED_STATUSES)[number];
export type TaskExecutionStatus = ActiveTaskExecutionStatus | FinishedTaskExecutionStatus;

export function isFinishedStatus(
  status: TaskExecutionStatus,
): status is FinishedTaskExecutionStatus {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}

/** Retries after the first run; delay = min(maxDelayMs, baseDelayMs * delayMultiplier^retry). */
export interface TaskRetryOptions {
  /** Retries after the first run (integer >= 0). @default 0 */
  maxAttempts: number;
  /** Delay before the first retry (>= 0). @default 0 */
  baseDelayMs?: number;
  /** Growth of the delay per retry (>= 0.1). @default 1 */
  delayMultiplier?: number;
  /** Upper bound of any delay (>= 0). @default unbounded */
  maxDelayMs?: number;
}

/** Overrides accepted by `enqueueTask` and by children / finalize entries. */
export interface TaskEnqueueOptions {
  retryOptions?: TaskRetryOptions;
  sleepMsBeforeRun?: number;
  timeoutMs?: number;
  /**
   * Among due executions, higher priorities are claimed first (then the oldest startAt).
   * An integer. @default 0, or the parent's priority for a child
   */
  priority?: number;
  /**
   * Unique per task while remembered: a second enqueue with the same key stores nothing and
   * returns the first execution, whatever its state (a child with a taken key stands for that
   * execution: it finishes with its outcome). At most 255 characters.
   */
  idempotencyKey?: string;
  /** How long the key is remembered from the first enqueue. @default 24 hours */
  idempotencyTtlMs?: number;
}

/** Options of `enqueueTask` / `enqueueTasks`: the run overrides, and where to insert. */
export interface EnqueueOptions extends TaskEnqueueOptions {
  /**
   * The app's own Prisma interactive-transaction client (`prisma.$transaction(async (tx) =>
   * ...)`): the execution is inserted in that transaction, so it exists if and only if the
   * app's transaction commits.
   */
  tx?: ExternalTransaction;
  /**
   * Who the execution belongs to: an opaque string from the app's access policy (a user or
   * session id). Stored with the execution; children and finalize tasks inherit it.
   */
  owner?: string;
}

/** How far a running execution got: `ctx.progress({ current, total?, message? })`. */
export interface TaskProgress {
  current: number;
  total?: number;
  message?: string;
}

export interface TaskRunContext {
  taskId: string;
  executionId: string;
  /** 0 on the first run; retries plus lease recoveries after that. */
  attempt: number;
  /** The error of the previous attempt, when there was one. */
  prevError?: DurableExecutionErrorStorageValue;
  /** Fires when the execution or an ancestor is cancelled, or the run timed out. */
  cancelSignal: CancelSignal;
  /** Fires when this executor shuts down: finish quickly or let the lease move the work. */
  shutdownSignal: CancelSignal;
  /**
   * Reports progress. Cheap to call in a tight loop: writes are coalesced (about one per
   * 250 ms per execution, the last value wins, the last one is written before the result).
   */
  progress(progress: TaskProgress): void;
}

declare const taskTypes: unique symbol;

/** A registered task. The phantom member carries the input and output types. */
export interface DurableTask<TInput, TOutput> {
  readonly id: string;
  // Method syntax makes the input bivariant: a finalize task that accepts a wider input than
  // its parent gives is still accepted, and any task fits `DurableTask<unknown, unknown>`.
  readonly [taskTypes]?: { input(input: TInput): void; output: TOutput };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- variance: any task fits
export type AnyDurableTask = DurableTask<any, any>;

export type InferTaskInput<T> = T extends DurableTask<infer I, unknown> ? I : never;
export type InferTaskOutput<T> = T extends DurableTask<unknown, infer O> ? O : never;

export interface ChildTask<TTask extends AnyDurableTask = AnyDurableTask> {
  task: TTask;
  input: InferTaskInput<TTask>;
  options?: TaskEnqueueOptions;
}

export interface ChildTaskOutput {
  index: number;
  taskId: string;
  executionId: string;
  output: unknown;
}

/**
 * What a parent does when one of its children does not complete: `'failParent'` (the
 * default) fails it at once as `children_tasks_failed` and cancels its other active children;
 * `'continue'` lets every child finish, then moves on with each child's outcome.
 */
export type ChildFailurePolicy = 'failParent' | 'continue';

interface ChildOutcomeBase {
  index: number;
  taskId: string;
  executionId: string;
}

/** One child's outcome, as a `'continue'` parent hands it on: by status. */
export type ChildTaskOutcome =
  | (ChildOutcomeBase & { status: 'completed'; output: unknown; error?: undefined })
  | (ChildOutcomeBase & {
      status: Exclude<FinishedTaskExecutionStatus, 'completed'>;
      error: DurableExecutionErrorStorageValue;
      output?: undefined;
    });

/** The children entries a parent hands on under `TPolicy`. */
export type ChildrenTasksOutputs<TPolicy extends ChildFailurePolicy> = TPolicy extends 'continue'
  ? ChildTaskOutcome[]
  : ChildTaskOutput[];

export interface ChildTaskError {
  index: number;
  taskId: string;
  executionId: string;
  error: DurableExecutionErrorStorageValue;
}

export interface ParentTaskRunResult<TRunOutput> {
  output: TRunOutput;
  childrenTasks?: ChildTask[];
}

/** What a parent without a finalize task outputs. */
export interface DefaultParentTaskOutput<
  TRunOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
> {
  output: TRunOutput;
  childrenTasksOutputs: ChildrenTasksOutputs<TPolicy>;
}

/** What a finalize task receives. */
export interface FinalizeTaskInput<
  TInput,
  TRunOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
> {
  input: TInput;
  output: TRunOutput;
  childrenTasksOutputs: ChildrenTasksOutputs<TPolicy>;
}

export interface CommonTaskOptions {
  /** Non-empty, at most 255 characters, `^\w+$`, unique per executor. */
  id: string;
  /** Integer >= 1. */
  timeoutMs: number;
  retryOptions?: TaskRetryOptions;
  /** Integer; <= 0 means 0. */
  sleepMsBeforeRun?: number;
}

export interface TaskOptions<TRunInput, TOutput>
  extends CommonTaskOptions, FlowControlOptions<TRunInput> {
  run: (ctx: TaskRunContext, input: TRunInput) => TOutput | Promise<TOutput>;
}

export interface ParentTaskOptions<
  TRunInput,
  TRunOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
>
  extends CommonTaskOptions, FlowControlOptions<TRunInput> {
  /** When a child does not complete. @default 'failParent' */
  onChildFailure?: TPolicy;
  runParent: (
    ctx: TaskRunContext,
    input: TRunInput,
  ) => ParentTaskRunResult<TRunOutput> | Promise<ParentTaskRunResult<TRunOutput>>;
}

/**
 * An already defined task given as `finalizeTask`: its input is what the parent hands over.
 * It has no `run` / `runParent`, so an inline definition (which has an `id` too) is checked
 * as a definition and never passes for a task handle.
 */
export type DefinedFinalizeTask<
  TInput,
  TRunOutput,
  TOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
> = DurableTask<FinalizeTaskInput<TInput, TRunOutput, TPolicy>, TOutput> & {
  run?: never;
  runParent?: never;
};

/** An inline finalize task: task options, registered with the parent under their own id. */
export type FinalizeTaskOptions<
  TInput,
  TRunOutput,
  TOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
> = TaskOptions<FinalizeTaskInput<TInput, TRunOutput, TPolicy>, TOutput>;

/** An inline finalize that is a parent task with a finalize of its own, which gives the output. */
export interface ParentFinalizeTaskOptions<
  TInput,
  TRunOutput,
  TFinalizeRunOutput,
  TOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
> extends ParentTaskOptions<FinalizeTaskInput<TInput, TRunOutput, TPolicy>, TFinalizeRunOutput> {
  finalizeTask: FinalizeTask<
    FinalizeTaskInput<TInput, TRunOutput, TPolicy>,
    TFinalizeRunOutput,
    TOutput
  >;
}

/** An inline finalize that is a parent task without a finalize: it outputs its default output. */
export interface LeafParentFinalizeTaskOptions<
  TInput,
  TRunOutput,
  TFinalizeRunOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
> extends ParentTaskOptions<FinalizeTaskInput<TInput, TRunOutput, TPolicy>, TFinalizeRunOutput> {
  finalizeTask?: undefined;
}

/**
 * What `finalizeTask` accepts: a defined task, or an inline task or parent-task definition
 * (nesting allowed). `TFinalizeRunOutput` is the run output of an inline parent finalize, so
 * its own finalize is typed too; deeper levels see `unknown` there.
 */
export type FinalizeTask<
  TInput,
  TRunOutput,
  TOutput,
  TFinalizeRunOutput = unknown,
  TPolicy extends ChildFailurePolicy = 'failParent',
> =
  | DefinedFinalizeTask<TInput, TRunOutput, TOutput, TPolicy>
  | FinalizeTaskOptions<TInput, TRunOutput, TOutput, TPolicy>
  | ParentFinalizeTaskOptions<TInput, TRunOutput, TFinalizeRunOutput, TOutput, TPolicy>
  // Below the first level the output of a finalize without a finalize is not inferred.
  | LeafParentFinalizeTaskOptions<TInput, TRunOutput, unknown, TPolicy>;

/** A parent task whose finalize task's output becomes the parent's output. */
export interface ParentTaskWithFinalizeOptions<
  TRunInput,
  TRunOutput,
  TFinalizeOutput,
  TFinalizeRunOutput = unknown,
  TPolicy extends ChildFailurePolicy = 'failParent',
> extends ParentTaskOptions<TRunInput, TRunOutput, TPolicy> {
  finalizeTask: FinalizeTask<TRunInput, TRunOutput, TFinalizeOutput, TFinalizeRunOutput, TPolicy>;
}

/** A parent task whose inline finalize is a parent task without a finalize of its own. */
export interface ParentTaskWithLeafParentFinalizeOptions<
  TRunInput,
  TRunOutput,
  TFinalizeRunOutput,
  TPolicy extends ChildFailurePolicy = 'failParent',
> extends ParentTaskOptions<TRunInput, TRunOutput, TPolicy> {
  finalizeTask: LeafParentFinalizeTaskOptions<TRunInput, TRunOutput, TFinalizeRunOutput, TPolicy>;
}

export interface TaskChildrenReference {
  taskId: string;
  executionId: string;
}

interface TaskExecutionBase {
  taskId: string;
  executionId: string;
  runInput: unknown;
  rootTask?: TaskChildrenReference;
  parentTask?: TaskChildrenReference & { index: number; isFinalizeTask: boolean };
  retryOptions: TaskRetryOptions;
  sleepMsBeforeRun: number;
  timeoutMs: number;
  retryAttempts: number;
  recoveryAttempts: number;
  /** Higher is claimed first among due executions. */
  priority: number;
  /** The enqueue's idempotency key, when it had one. */
  idempotencyKey?: string;
  /** What the task's concurrency limit counts it under ('' for the whole task). */
  concurrencyKey?: string;
  /** What the task's rate limit counts it under ('' for the whole task). */
  rateKey?: string;
  /** A child whose idempotency key this other execution held: it finishes with its outcome. */
  linkedExecutionId?: string;
  /** Who it belongs to, from the app's access policy (children inherit their root's). */
  owner?: string;
  /** The last progress the task's code reported, while running and after. */
  progress?: TaskProgress;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  expiresAt?: Date;
  runOutput?: unknown;
  childrenTasks?: TaskChildrenReference[];
  childrenTasksErrors?: ChildTaskError[];
  finalizeTask?: TaskChildrenReference;
  finalizeTaskError?: DurableExecutionErrorStorageValue;
}

export interface ActiveTaskExecution extends TaskExecutionBase {
  status: ActiveTaskExecutionStatus;
  finishedAt?: undefined;
  output?: undefined;
  /** The previous attempt's error while waiting for a retry. */
  error?: DurableExecutionErrorStorageValue;
}

export interface CompletedTaskExecution<TOutput> extends TaskExecutionBase {
  status: 'completed';
  output: TOutput;
  error?: undefined;
  finishedAt: Date;
}

export interface FailedTaskExecution extends TaskExecutionBase {
  status: Exclude<FinishedTaskExecutionStatus, 'completed'>;
  error: DurableExecutionErrorStorageValue;
  output?: undefined;
  finishedAt: Date;
}

export type FinishedTaskExecution<TOutput> = CompletedTaskExecution<TOutput> | FailedTaskExecution;

export type TaskExecution<TOutput> = ActiveTaskExecution | FinishedTaskExecution<TOutput>;
