/**
 * Sleeping tasks: a task whose execution runs no code. Its input is a unique id; it waits in
 * `waiting_for_event` until a wakeup for that id finishes it (completed with an output, or
 * failed), or its deadline passes (`timed_out`). The store keeps a wakeup that arrives first
 * and applies it when the execution is enqueued; here are the definition, the wakeup call and
 * the follow-ups (register new sleeping rows, time out those past their deadline).
 */
import type { Closer } from './closer';
import { DurableExecutionError, DurableWakeupRefusedError, toErrorStorageValue } from './errors';
import type { ExecutorEvents } from './events';
import { toTaskExecution } from './executionView';
import { normalizeFlowControl } from './flowControl';
import type { Logger } from './logger';
import { DurableOptionsError, NO_RETRIES, validateTaskId, validateTimeoutMs } from './options';
import type { SafeSerializer } from './serializer';
import {
  DEFAULT_WAKEUP_TTL_MS,
  MAX_UNIQUE_ID_LENGTH,
  type SleepingExecutionRef,
  type StoredWakeupOutcome,
} from './sleepingTypes';
import type { DurableStorage, ExecutionRow, NewExecutionRow } from './storage';
import type { TaskDefinition, TaskRegistry } from './taskRegistry';
import type { DurableTask, FinishedTaskExecution } from './types';

export interface SleepingTaskOptions {
  /** Non-empty, at most 255 characters, `^\w+$`, unique per executor. */
  id: string;
  /** How long an execution waits for its wakeup before it is `timed_out`. Integer >= 1. */
  timeoutMs: number;
}

declare const sleepingBrand: unique symbol;

/** A sleeping task: its input is the unique id a wakeup names, its output the wakeup's. */
export interface SleepingTask<TOutput> extends DurableTask<string, TOutput> {
  readonly [sleepingBrand]?: true;
  readonly sleeping: true;
}

/** What a wakeup finishes the execution with. */
export type SleepingTaskWakeup<TOutput> =
  | { status: 'completed'; output: TOutput }
  /** Anything: an Error, a `DurableExecutionError`, a message. Stored non-retryable. */
  | { status: 'failed'; error: unknown };

export interface WakeupOptions {
  /** How long a wakeup that arrives before its execution is kept. @default 24 hours */
  ttlMs?: number;
}

/**
 * - `applied`: it finished the waiting execution (returned as finished);
 * - `kept`: no execution waits on the id yet; the first enqueued before `expiresAt` gets it;
 * - `duplicate`: an earlier wakeup for the id won; nothing changed, here is its outcome.
 * A wakeup for an execution that already finished otherwise throws `DurableWakeupRefusedError`.
 */
export type SleepingTaskWakeupResult<TOutput> =
  | { kind: 'applied'; execution: FinishedTaskExecution<TOutput> }
  | { kind: 'kept'; expiresAt: Date }
  | {
      kind: 'duplicate';
      outcome:
        | { status: 'completed'; output: TOutput }
        | { status: 'failed'; error: ReturnType<typeof toErrorStorageValue> };
      executionId?: string;
    };

export function sleepingTaskDefinition(options: SleepingTaskOptions): TaskDefinition {
  if (typeof options !== 'object' || options === null) {
    throw new DurableOptionsError('Task options must be an object');
  }
  const id = validateTaskId(options.id);
  return {
    id,
    kind: 'sleepingTask',
    runOptions: {
      timeoutMs: validateTimeoutMs(options.timeoutMs, id),
      retryOptions: NO_RETRIES,
      sleepMsBeforeRun: 0,
    },
    validateInput: (input) => validateUniqueId(input),
    execute: () =>
      Promise.reject(new DurableExecutionError(`Sleeping task ${id} runs no code`, false)),
    finalizeTaskId: null,
    onChildFailure: 'failParent',
    flow: normalizeFlowControl({}, id),
  };
}

export function validateUniqueId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error('the unique id must be a non-empty string');
  }
  if (value.length > MAX_UNIQUE_ID_LENGTH) {
    throw new Error(`the unique id must be at most ${MAX_UNIQUE_ID_LENGTH} characters`);
  }
  return value;
}

export interface SleepingDependencies {
  storage: DurableStorage;
  registry: TaskRegistry;
  serializer: SafeSerializer;
  closer: Closer;
  events: ExecutorEvents;
  logger: Logger;
  maxOutputBytes: number;
  /** A sleeping execution registered here is due to time out at `at`. */
  onDeadline: (at: number) => void;
}

export class SleepingTasks {
  constructor(private readonly deps: SleepingDependencies) {}

  /** Registers sleeping rows just inserted; applies wakeups that came first. */
  async register(rows: readonly (NewExecutionRow | ExecutionRow)[]): Promise<void> {
    const refs = rows.flatMap((row) => this.refOf(row));
    if (refs.length === 0) return;
    const finished = await this.deps.storage.registerSleepingExecutions(refs, Date.now());
    const done = new Set(finished.map((row) => row.executionId));
    for (const ref of refs) if (!done.has(ref.executionId)) this.deps.onDeadline(ref.deadlineAt);
    await this.finished(finished);
  }

  async wakeup<TOutput>(
    taskId: string,
    uniqueId: string,
    wakeup: SleepingTaskWakeup<TOutput>,
    { ttlMs = DEFAULT_WAKEUP_TTL_MS }: WakeupOptions = {},
  ): Promise<SleepingTaskWakeupResult<TOutput>> {
    const definition = this.deps.registry.get(taskId);
    if (definition.kind !== 'sleepingTask') {
      throw new DurableOptionsError(`Task ${taskId} is not a sleeping task`);
    }
    try {
      validateUniqueId(uniqueId);
    } catch (error) {
      throw new DurableOptionsError(
        `Invalid wakeup of task ${taskId}: ${(error as Error).message}`,
      );
    }
    if (!Number.isInteger(ttlMs) || ttlMs < 1) {
      throw new DurableOptionsError(
        `Invalid wakeup ttlMs ${String(ttlMs)}: must be an integer >= 1`,
      );
    }
    const outcome = this.storedOutcome(taskId, wakeup);
    const result = await this.deps.storage.wakeupSleepingExecution({
      taskId,
      uniqueId,
      outcome,
      now: Date.now(),
      ttlMs,
    });
    switch (result.kind) {
      case 'applied':
        await this.finished([result.execution]);
        return {
          kind: 'applied',
          execution: toTaskExecution<TOutput>(
            this.deps.serializer,
            result.execution,
            null,
          ) as FinishedTaskExecution<TOutput>,
        };
      case 'kept':
        return { kind: 'kept', expiresAt: new Date(result.expiresAt) };
      case 'duplicate':
        return {
          kind: 'duplicate',
          outcome:
            result.outcome.status === 'completed'
              ? {
                  status: 'completed',
                  output: this.deps.serializer.deserialize<TOutput>(result.outcome.output),
                }
              : result.outcome,
          ...(result.executionId === null ? {} : { executionId: result.executionId }),
        };
      case 'refused':
        throw new DurableWakeupRefusedError(
          `Execution ${result.execution.executionId} of sleeping task ${taskId} waiting for ` +
            `${uniqueId} already finished as ${result.execution.status}: the wakeup is refused`,
          result.execution.executionId,
          result.execution.status,
        );
    }
  }

  /**
   * The backstop's part: registers sleeping rows a crash left unregistered, times out those
   * past their deadline, and returns the next deadline to wake up for.
   */
  async maintain(batchSize: number): Promise<number | null> {
    // Executors that define sleeping tasks look after their executions; others spend nothing.
    if (!this.deps.registry.all().some((definition) => definition.kind === 'sleepingTask')) {
      return null;
    }
    const unregistered = await this.deps.storage.listUnregisteredSleepingExecutions(batchSize);
    if (unregistered.length > 0) await this.register(unregistered);
    const { timedOutExecutionIds, nextDeadlineAt } =
      await this.deps.storage.timeOutSleepingExecutions({ now: Date.now(), limit: batchSize });
    if (timedOutExecutionIds.length > 0) {
      this.deps.events.emit('finished', { executionIds: timedOutExecutionIds });
      for (const id of timedOutExecutionIds) await this.deps.closer.close(id);
    }
    return nextDeadlineAt;
  }

  private async finished(rows: readonly ExecutionRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.deps.events.emit('finished', { executionIds: rows.map((r) => r.executionId), rows });
    for (const row of rows) {
      if (row.parentExecutionId !== null) await this.deps.closer.close(row.executionId);
    }
  }

  private refOf(row: NewExecutionRow | ExecutionRow): SleepingExecutionRef[] {
    if (this.deps.registry.find(row.taskId)?.kind !== 'sleepingTask') return [];
    try {
      return [
        {
          executionId: row.executionId,
          taskId: row.taskId,
          uniqueId: validateUniqueId(this.deps.serializer.deserialize(row.runInput)),
          deadlineAt: row.createdAt + row.timeoutMs,
        },
      ];
    } catch (error) {
      this.deps.logger.error(`Sleeping execution ${row.executionId} has no readable id`, error);
      return [];
    }
  }

  private storedOutcome<TOutput>(
    taskId: string,
    wakeup: SleepingTaskWakeup<TOutput>,
  ): StoredWakeupOutcome {
    if (typeof wakeup !== 'object' || wakeup === null) {
      throw new DurableOptionsError('A wakeup must be { status, output } or { status, error }');
    }
    if (wakeup.status === 'completed') {
      return {
        status: 'completed',
        output: this.deps.serializer.serialize(
          wakeup.output,
          this.deps.maxOutputBytes,
          `Output of task ${taskId}`,
        ),
      };
    }
    if (wakeup.status === 'failed') {
      return {
        status: 'failed',
        error: { ...toErrorStorageValue(wakeup.error), isRetryable: false },
      };
    }
    throw new DurableOptionsError(
      `Invalid wakeup status ${JSON.stringify((wakeup as { status: unknown }).status)}: ` +
        "must be 'completed' or 'failed'",
    );
  }
}
