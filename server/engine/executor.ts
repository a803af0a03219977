/**
 * `DurableExecutor`: the public face of the engine. Defines tasks, enqueues executions,
 * hands out handles, and runs registered tasks from the store until shut down.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { Batcher } from './batcher';
import { Closer } from './closer';
import { Enqueuer, type EnqueueItem } from './enqueuer';
import { describeWaiting, flowStatus, type TaskFlowStatus } from './flowStatus';
import {
  CASCADE_CANCELLED_ERROR,
  type DurableStorage,
  type DurableStorageQueries,
  type ExecutionListQuery,
  type ExecutionRow,
  type ExecutionStats,
  type ExternalTransaction,
  type InsertedExecution,
  type StorageNotification,
} from './storage';
import { DurableExecutionNotFoundError, DurableExecutorShutdownError } from './errors';
import { ExecutorEvents } from './events';
import { createConsoleLogger, withDebugGate, type Logger } from './logger';
import { MaintenanceLoop } from './maintenanceLoop';
import { WakeLeadership } from './wakeLeadership';
import { HeartbeatWriter } from './heartbeat';
import { executorsView, type ExecutorView } from './executorsView';
import { executionMetrics, type ExecutionMetrics, type MetricsWindow } from './metrics';
import { RetentionLoop } from './retention';
import { ProgressReporter } from './progress';
import { RunScheduler } from './runScheduler';
import { WriteQueue } from './writeQueue';
import { createSuperjsonSerializer, SafeSerializer } from './serializer';
import {
  createPlainTaskBuilders,
  createValidatingTaskBuilders,
  defineSequentialTasks,
  standardSchemaValidator,
  type SequentialTask,
  type PlainTaskBuilders,
  type TaskBuilders,
} from './taskBuilders';
import type { RunDependencies } from './runOutcome';
import {
  createTaskHandle,
  waitForFinishedRow,
  type HandleOptions,
  type TaskHandle,
} from './taskHandle';
import { TaskRegistry } from './taskRegistry';
import {
  sleepingTaskDefinition,
  SleepingTasks,
  type SleepingTask,
  type SleepingTaskOptions,
  type SleepingTaskWakeup,
  type SleepingTaskWakeupResult,
  type WakeupOptions,
} from './sleepingTasks';
import type {
  AnyDurableTask,
  EnqueueOptions,
  InferTaskInput,
  InferTaskOutput,
  TaskEnqueueOptions,
  TaskExecution,
} from './types';
import { ExecutionQueries, type ExecutionPage } from './executionQueries';
import { DurableOptionsError, type ResolvedRunOptions } from './options';

/** A registered task as APIs list it. */
export interface RegisteredTaskInfo extends ResolvedRunOptions {
  id: string;
  kind: 'task' | 'parentTask' | 'sleepingTask';
  finalizeTaskId: string | null;
}
import { resolveExecutorOptions, type DurableExecutorOptions } from './executorOptions';

type ExecutorState = 'idle' | 'started' | 'stopped';

export class DurableExecutor {
  private readonly registry = new TaskRegistry();
  private readonly events = new ExecutorEvents();
  private readonly serializer: SafeSerializer;
  private readonly logger: Logger;
  private readonly options: ReturnType<typeof resolveExecutorOptions>;
  private readonly closer: Closer;
  private readonly sleeping: SleepingTasks;
  private readonly scheduler: RunScheduler;
  private readonly maintenance: MaintenanceLoop;
  private readonly leadership: WakeLeadership;
  private readonly heartbeat: HeartbeatWriter;
  private readonly retention: RetentionLoop;
  private readonly enqueuer: Enqueuer;
  private readonly writes: WriteQueue;
  /** Reads for handles: many concurrent waits cost one storage call. */
  private readonly reads: Batcher<string, ExecutionRow | null>;
  private readonly queries: ExecutionQueries;
  private state: ExecutorState = 'idle';
  /** Defining tasks and enqueueing end with the executor's life. */
  private readonly assertOpen = (): void => {
    if (this.state === 'stopped') throw new DurableExecutorShutdownError();
  };
  private shutdownPromise: Promise<void> | null = null;
  private unsubscribeStorage: (() => void) | null = null;

  /** Defines a task; its input type is inferred from `run`. */
  readonly task: PlainTaskBuilders['task'];
  /** Defines a parent task with parallel children and an optional finalize task. */
  readonly parentTask: PlainTaskBuilders['parentTask'];

  constructor(
    private readonly storage: DurableStorage & Partial<DurableStorageQueries>,
    options: DurableExecutorOptions = {},
  ) {
    this.options = resolveExecutorOptions(options);
    this.logger = options.logger
      ? withDebugGate(options.logger, this.options.enableDebug)
      : createConsoleLogger(this.options.enableDebug);
    this.serializer = new SafeSerializer(options.serializer ?? createSuperjsonSerializer());
    this.queries = new ExecutionQueries(storage, this.serializer);
    const deps: RunDependencies = {
      registry: this.registry,
      serializer: this.serializer,
      limits: this.options,
      logger: this.logger,
      progress: new ProgressReporter(storage, this.events, this.logger),
      waitForFinished: (executionId, signal) =>
        waitForFinishedRow(
          {
            readExecution: (id) => this.reads.add(id),
            events: this.events,
            defaultPollingIntervalMs: this.options.waitPollingIntervalMs,
          },
          executionId,
          { signal },
        ),
      registerSleeping: (rows) => this.sleeping.register(rows),
    };
    this.closer = new Closer(storage, deps, this.events, this.logger);
    this.sleeping = new SleepingTasks({
      storage,
      registry: this.registry,
      serializer: this.serializer,
      closer: this.closer,
      events: this.events,
      logger: this.logger,
      maxOutputBytes: this.options.maxSerializedOutputDataSize,
      onDeadline: (at) => this.maintenance.scheduleDeadline(at),
    });
    this.writes = new WriteQueue(storage, this.options.expireMs, this.logger);
    this.scheduler = new RunScheduler(
      storage,
      this.writes,
      deps,
      this.closer,
      this.events,
      this.logger,
      {
        ...this.options,
        backstopPollMs: this.options.backgroundProcessIntraBatchSleepMs,
      },
    );
    this.maintenance = new MaintenanceLoop(
      storage,
      this.registry,
      this.scheduler,
      this.closer,
      this.sleeping,
      this.events,
      this.logger,
      {
        backstopPollMs: this.options.backgroundProcessIntraBatchSleepMs,
        maxRecoveryAttempts: this.options.maxRecoveryAttempts,
        batchSize: this.options.maxTaskExecutionsPerBatch,
      },
    );
    this.leadership = new WakeLeadership({
      storage,
      taskIds: () => this.registry.taskIds(),
      hasFreeSlots: () => this.scheduler.hasFreeSlots(),
      onLead: () => this.scheduler.wakeup.wake(),
      logger: this.logger,
    });
    this.scheduler.onFreeSlotsChange = () => this.leadership.reconsider();
    this.heartbeat = new HeartbeatWriter({
      storage,
      taskIds: () => this.registry.taskIds(),
      runningExecutionIds: () => this.scheduler.runningExecutionIds(),
      version: this.options.version,
      intervalMs: this.options.heartbeatIntervalMs,
      logger: this.logger,
    });
    this.maintenance.onTick = () => {
      this.leadership.reconsider();
      this.heartbeat.maybeBeat();
    };
    this.retention = new RetentionLoop(storage, this.logger, {
      retentionMs: this.options.retentionMs,
      intervalMs: this.options.retentionIntervalMs,
      batchSize: this.options.retentionBatchSize,
    });
    this.enqueuer = new Enqueuer({
      storage,
      writes: this.writes,
      directStarts: this.scheduler,
      registry: this.registry,
      serializer: this.serializer,
      maxInputBytes: this.options.maxSerializedInputDataSize,
      events: this.events,
      wakeup: this.scheduler.wakeup,
      dueTimer: this.scheduler.dueTimer,
      registerSleeping: deps.registerSleeping,
    });
    this.reads = new Batcher(async (ids) => {
      const rows = new Map((await storage.getExecutions(ids)).map((r) => [r.executionId, r]));
      return ids.map((id) => rows.get(id) ?? null);
    }, 500);
    this.events.on('workReady', () => this.scheduler.wakeup.wake());
    // Listening starts with the executor's life, not with start(): an executor that only
    // enqueues and waits (a web app with workers elsewhere) still hears executions finish.
    this.unsubscribeStorage = storage.subscribe?.((n) => this.onNotification(n)) ?? null;
    this.events.on('cancelled', ({ executionIds }) => this.scheduler.abort(executionIds));
    const builders = createPlainTaskBuilders(this.registry, this.assertOpen);
    this.task = builders.task;
    this.parentTask = builders.parentTask;
  }

  /** Builders whose tasks validate (and may transform) their input with `validate`. */
  validateInput<TRunInput, TInput = TRunInput>(
    validate: (input: TInput) => TRunInput | Promise<TRunInput>,
  ): TaskBuilders<TInput, TRunInput> {
    this.assertOpen();
    return createValidatingTaskBuilders<TInput, TRunInput>(
      this.registry,
      (input) => validate(input as TInput),
      this.assertOpen,
    );
  }

  /** Builders whose tasks validate their input with a Standard Schema (zod, valibot...). */
  inputSchema<TSchema extends StandardSchemaV1>(
    schema: TSchema,
  ): TaskBuilders<StandardSchemaV1.InferInput<TSchema>, StandardSchemaV1.InferOutput<TSchema>> {
    this.assertOpen();
    return createValidatingTaskBuilders(
      this.registry,
      standardSchemaValidator(schema),
      this.assertOpen,
    );
  }

  /**
   * Defines a sleeping task: its execution runs no code; its input is a unique id (a string of
   * at most 255 characters), and it waits (`waiting_for_event`) until
   * `wakeupSleepingTaskExecution` finishes it, or `timeoutMs` passes (`timed_out`).
   */
  sleepingTask<TOutput = unknown>(options: SleepingTaskOptions): SleepingTask<TOutput> {
    this.assertOpen();
    const definition = sleepingTaskDefinition(options);
    this.registry.register(definition);
    return { id: definition.id, sleeping: true };
  }

  /**
   * Finishes the execution of `task` waiting for `uniqueId`, exactly once across every
   * executor on the store: completed with `output`, or failed with `error`. One that arrives
   * before the execution exists is kept (`ttlMs`, 24 h by default) and applied when it is
   * enqueued; a second wakeup for the id changes nothing and returns the first one's outcome.
   * Throws `DurableWakeupRefusedError` when the execution already finished otherwise (timed
   * out, cancelled).
   */
  wakeupSleepingTaskExecution<TOutput>(
    task: SleepingTask<TOutput>,
    uniqueId: string,
    wakeup: SleepingTaskWakeup<TOutput>,
    options?: WakeupOptions,
  ): Promise<SleepingTaskWakeupResult<TOutput>> {
    return this.wakeupSleepingTaskExecutionById(task.id, uniqueId, wakeup, options);
  }

  /** `wakeupSleepingTaskExecution` by task id, with an untyped output. For APIs. */
  wakeupSleepingTaskExecutionById<TOutput = unknown>(
    taskId: string,
    uniqueId: string,
    wakeup: SleepingTaskWakeup<TOutput>,
    options?: WakeupOptions,
  ): Promise<SleepingTaskWakeupResult<TOutput>> {
    this.assertOpen();
    return this.sleeping.wakeup(taskId, uniqueId, wakeup, options);
  }

  /** A task that runs `tasks` one after another, each output feeding the next input. */
  sequentialTasks<T extends AnyDurableTask[]>(...tasks: T): SequentialTask<T> {
    return defineSequentialTasks(this.registry, tasks, this.assertOpen) as SequentialTask<T>;
  }

  /**
   * Enqueues one execution. With `tx` (the app's Prisma transaction client), it is inserted
   * in the app's transaction: it exists if and only if that commits, and executors are woken
   * only after the commit.
   */
  async enqueueTask<TTask extends AnyDurableTask>(
    task: TTask,
    input: InferTaskInput<TTask>,
    options?: EnqueueOptions,
  ): Promise<TaskHandle<InferTaskOutput<TTask>>> {
    const { executionId, created } = await this.enqueueTaskById(task.id, input, options);
    // Known active unless it waits for the app's commit (a rollback leaves nothing to wait for)
    // or is an earlier execution with the same idempotency key.
    return this.handle(task.id, executionId, { enqueued: created && !options?.tx, created });
  }

  /**
   * Enqueues one execution per input, all validated before any is stored, with one insert
   * (in the app's transaction with `tx`). Root executions only: children come from parents.
   */
  async enqueueTasks<TTask extends AnyDurableTask>(
    task: TTask,
    inputs: readonly InferTaskInput<TTask>[],
    options?: EnqueueOptions,
  ): Promise<TaskHandle<InferTaskOutput<TTask>>[]> {
    if (!Array.isArray(inputs)) throw new DurableOptionsError('inputs must be an array');
    const { tx, owner, runOptions } = splitEnqueueOptions(options);
    const enqueued = await this.enqueueTasksById(
      task.id,
      (inputs as readonly unknown[]).map((input) => ({ input, options: runOptions })),
      { tx, ...(owner === undefined ? {} : { owner }) },
    );
    return enqueued.map(({ executionId, created }) =>
      this.handle(task.id, executionId, { enqueued: created && !tx, created }),
    );
  }

  /** Enqueues by task id with untyped input (validated like any enqueue). For APIs. */
  async enqueueTaskById(
    taskId: string,
    input: unknown,
    options?: EnqueueOptions,
  ): Promise<InsertedExecution> {
    const { tx, owner, runOptions } = splitEnqueueOptions(options);
    const [enqueued] = await this.enqueueTasksById(taskId, [{ input, options: runOptions }], {
      tx,
      ...(owner === undefined ? {} : { owner }),
    });
    return enqueued!;
  }

  /**
   * Bulk enqueue by task id, each item with its own options (validated, all or nothing).
   * Returns, in order, each item's execution (the existing one when its idempotency key was
   * taken) and whether it was created.
   */
  async enqueueTasksById(
    taskId: string,
    items: readonly EnqueueItem[],
    { tx, owner }: { tx?: ExternalTransaction; owner?: string } = {},
  ): Promise<InsertedExecution[]> {
    this.assertOpen();
    return this.enqueuer.enqueue(taskId, items, tx, { owner: owner ?? null });
  }

  /**
   * A new execution of `executionId`'s task with the same stored input, which its task
   * validated (and maybe transformed) once already: it is not validated again. Null when the
   * execution does not exist.
   */
  async rerunExecution(executionId: string): Promise<InsertedExecution | null> {
    this.assertOpen();
    const row = await this.storage.getExecution(executionId);
    if (!row) return null;
    const input = this.serializer.deserialize<unknown>(row.runInput);
    const [enqueued] = await this.enqueuer.enqueue(row.taskId, [{ input }], undefined, {
      validated: true,
    });
    return enqueued!;
  }

  /** Registered tasks, inline finalize tasks and the internal stages of sequential tasks too. */
  listTasks(): RegisteredTaskInfo[] {
    return this.registry.all().map((definition) => ({
      id: definition.id,
      kind: definition.kind,
      finalizeTaskId: definition.finalizeTaskId,
      ...definition.runOptions,
    }));
  }

  /**
   * An execution by id, for APIs and dashboards. Here (and in listExecutions,
   * getExecutionTree, waitForExecution) a stored value that cannot be deserialized is an
   * `UnreadableValue` marker (see `isUnreadableValue`); typed handles throw instead.
   */
  getExecution(executionId: string): Promise<TaskExecution<unknown> | null> {
    return this.queries.get(executionId);
  }

  /**
   * The execution once it finished, or as it is when `timeoutMs` ran out (a long-poll).
   * Null when it does not exist.
   */
  async waitForExecution(
    executionId: string,
    { timeoutMs, signal }: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<TaskExecution<unknown> | null> {
    // An explicit controller and timer: a composite of AbortSignal.timeout can be garbage
    // collected on Node 20 before it fires, leaving the wait hanging.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const onAbort = () => deadline.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) deadline.abort();
    try {
      // A read for APIs, like getExecution: an unreadable value is marked, not thrown.
      const handle = this.handle<unknown>('', executionId, {
        view: (row, children) => this.queries.view(row, children),
      });
      return await handle.waitAndGetTaskFinishedExecution({ signal: deadline.signal });
    } catch (error) {
      if (error instanceof DurableExecutionNotFoundError) return null;
      if (!deadline.signal.aborted) throw error;
      return this.queries.get(executionId);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Cancels by id. False when the execution does not exist. */
  async cancelExecution(executionId: string): Promise<boolean> {
    if (!(await this.storage.getExecution(executionId))) return false;
    await this.cancel(executionId);
    return true;
  }

  listExecutions(query: ExecutionListQuery): Promise<ExecutionPage> {
    return this.queries.list(query);
  }

  getExecutionTree(executionId: string): Promise<TaskExecution<unknown>[]> {
    return this.queries.tree(executionId);
  }

  getExecutionStats(): Promise<ExecutionStats> {
    return this.queries.stats();
  }

  /** Throughput, latency, failure rate and backlog over the last hour or day, overall or per task. */
  getExecutionMetrics(
    window: MetricsWindow,
    taskId: string | null = null,
  ): Promise<ExecutionMetrics> {
    const { getMetricsCounts, getExecutionStats } = this.storage;
    if (!getMetricsCounts || !getExecutionStats) {
      throw new Error('This store has no dashboard queries');
    }
    const storage = this.storage;
    return executionMetrics(
      {
        getMetricsCounts: (query) => getMetricsCounts.call(storage, query),
        getExecutionStats: () => getExecutionStats.call(storage),
      },
      window,
      taskId,
      Date.now(),
    );
  }

  /** Executors heard from in the last day: live, stopped or dead (with what they left running). */
  getExecutors(): Promise<ExecutorView[]> {
    const { listExecutors } = this.storage;
    if (!listExecutors) throw new Error('This store has no dashboard queries');
    const storage = this.storage;
    return executorsView(
      {
        getExecutions: (ids) => storage.getExecutions(ids),
        listExecutors: (since) => listExecutors.call(storage, since),
      },
      this.options.heartbeatIntervalMs,
      Date.now(),
    );
  }

  /** Each limited task's limits and their use per key (busiest keys first). */
  getFlowStatus(): Promise<TaskFlowStatus[]> {
    return flowStatus(this.flowQueries(), this.registry, Date.now());
  }

  /** Why a ready execution is not running yet (a full concurrency slot, a spent rate budget). */
  describeWaiting(execution: TaskExecution<unknown>): Promise<string | null> {
    return describeWaiting(this.flowQueries(), this.registry, execution, Date.now());
  }

  private flowQueries(): Pick<DurableStorageQueries, 'getFlowUsage'> {
    const { getFlowUsage } = this.storage;
    if (!getFlowUsage) throw new Error('This store has no dashboard queries');
    return { getFlowUsage: (query) => getFlowUsage.call(this.storage, query) };
  }

  /** Listens to execution changes (for live views). Returns the unsubscribe. */
  onExecutionsUpdated(listener: (executionIds: readonly string[]) => void): () => void {
    return this.events.on('updated', ({ executionIds }) => listener(executionIds));
  }

  async getTaskHandle<TTask extends AnyDurableTask>(
    task: TTask,
    executionId: string,
  ): Promise<TaskHandle<InferTaskOutput<TTask>>> {
    // An unknown task fails before any read, as enqueueTask does.
    this.registry.get(task.id);
    const row = await this.storage.getExecution(executionId);
    if (!row) throw new DurableExecutionNotFoundError(`Execution ${executionId} not found`);
    if (row.taskId !== task.id) {
      throw new DurableExecutionNotFoundError(
        `Execution ${executionId} belongs to task ${row.taskId}, not ${task.id}`,
      );
    }
    return this.handle(task.id, executionId);
  }

  /** This executor's id in its heartbeats (the workers page). */
  getExecutorId(): string {
    return this.heartbeat.executorId;
  }

  /** Ids of the executions this executor is running now (not those of other executors). */
  getRunningTaskExecutionIds(): ReadonlySet<string> {
    return this.scheduler.runningExecutionIds();
  }

  /** Starts claiming and the backstop loop. Idempotent; a stopped executor stays stopped. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'started';
    this.scheduler.start();
    this.maintenance.start();
    this.leadership.start();
    this.heartbeat.start();
    this.retention.start();
  }

  /** The retention in force (null: finished executions are kept), and what this executor pruned. */
  getRetention(): { retentionMs: number | null; prunedByThisExecutor: number } {
    return { retentionMs: this.options.retentionMs, prunedByThisExecutor: this.retention.pruned };
  }

  /**
   * Stops claiming, fires every running execution's shutdown signal and waits for them, at
   * most `timeoutMs` when given; runs still going then keep their lease and are recovered
   * by another executor. Handles stay usable. Idempotent.
   */
  shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    this.shutdownPromise ??= this.stop(options.timeoutMs);
    return this.shutdownPromise;
  }

  private async stop(timeoutMs: number | undefined): Promise<void> {
    this.state = 'stopped';
    // Hand the lead over first: others take new work while this one drains.
    await this.leadership.stop();
    await this.scheduler.stop(timeoutMs);
    await this.maintenance.stop();
    await this.heartbeat.stop();
    await this.retention.stop();
    this.unsubscribeStorage?.();
    this.unsubscribeStorage = null;
  }

  private handle<TOutput>(
    taskId: string,
    executionId: string,
    options: HandleOptions<TOutput> = {},
  ): TaskHandle<TOutput> {
    return createTaskHandle<TOutput>(
      {
        storage: this.storage,
        readExecution: (id) => this.reads.add(id),
        serializer: this.serializer,
        events: this.events,
        cancelExecution: (id) => this.cancel(id),
        defaultPollingIntervalMs: this.options.waitPollingIntervalMs,
      },
      taskId,
      executionId,
      options,
    );
  }

  private async cancel(executionId: string): Promise<void> {
    const { cancelledExecutionIds } = await this.storage.cancelExecution(
      executionId,
      CASCADE_CANCELLED_ERROR,
      Date.now(),
    );
    if (cancelledExecutionIds.length === 0) return;
    this.events.emit('cancelled', { executionIds: cancelledExecutionIds });
    this.events.emit('finished', { executionIds: cancelledExecutionIds });
    await this.closer.close(executionId);
  }

  private onNotification(notification: StorageNotification): void {
    switch (notification.type) {
      case 'work_ready':
        // Only the wake group's leader claims; the others still refresh live views.
        if (this.leadership.admitsWorkReady()) this.events.emit('workReady', undefined);
        this.events.emit('updated', { executionIds: [] });
        return;
      case 'cancelled':
        this.events.emit('cancelled', { executionIds: notification.executionIds });
        return;
      case 'finished':
        // A finish elsewhere may free a slot of a concurrency-limited task this executor runs.
        if (this.registry.flowLimits().some((limit) => limit.concurrencyLimit !== null)) {
          this.scheduler.wakeup.wake();
        }
        this.events.emit('finished', {
          executionIds: notification.executionIds,
          rows: notification.rows,
        });
        return;
    }
  }
}

/** Where to insert (`tx`) apart from the run overrides, which are validated as given. */
function splitEnqueueOptions(options: EnqueueOptions | undefined): {
  tx: ExternalTransaction | undefined;
  owner: string | undefined;
  runOptions: TaskEnqueueOptions | undefined;
} {
  if (typeof options !== 'object' || options === null)
    return { tx: undefined, owner: undefined, runOptions: options };
  const { tx, owner, ...runOptions } = options;
  if (owner !== undefined && (typeof owner !== 'string' || owner.length > 255)) {
    throw new DurableOptionsError('owner must be a string of at most 255 characters');
  }
  return { tx, owner, runOptions };
}
