/**
 * Runs the user code of one claimed execution and decides its stored outcome: completed,
 * waiting for children or finalize, a retry after backoff, or finished with an error.
 * Never throws: every failure becomes an outcome.
 */
import {
  cancelSignalFromAbortSignal,
  createCancellablePromise,
  type CancelSignal,
} from './cancelSignal';
import {
  DurableExecutionError,
  DurableExecutionTimedOutError,
  toErrorStorageValue,
} from './errors';
import type { Logger } from './logger';
import { buildNewExecution, childPosition } from './newExecution';
import type { ProgressReporter } from './progress';
import { retryDelayMs } from './options';
import type { SafeSerializer } from './serializer';
import type { ExecutionRow, NewExecutionRow, RunOutcome } from './storage';
import type { TaskCodeResult, TaskDefinition, TaskRegistry } from './taskRegistry';
import type { ChildTask } from './types';

export interface RunLimits {
  maxInputBytes: number;
  maxOutputBytes: number;
  maxChildrenPerParent: number;
}

export interface RunDependencies {
  registry: TaskRegistry;
  serializer: SafeSerializer;
  limits: RunLimits;
  /** Reports what task code's cancel listeners throw. */
  logger: Logger;
  /** The row of `executionId` once finished (for a child linked to another execution). */
  waitForFinished: (executionId: string, signal: AbortSignal) => Promise<ExecutionRow>;
  /** Registers sleeping rows just inserted (children), applying wakeups that came first. */
  registerSleeping: (rows: readonly NewExecutionRow[]) => Promise<void>;
  /** Coalesced writes of `ctx.progress`. */
  progress: ProgressReporter;
}

export interface RunSignals {
  /** Aborted when the execution is cancelled (or lost its lease). */
  cancel: AbortSignal;
  shutdownSignal: CancelSignal;
}

export async function runExecution(
  deps: RunDependencies,
  row: ExecutionRow,
  signals: RunSignals,
): Promise<RunOutcome> {
  if (row.linkedExecutionId !== null) return linkedOutcome(deps, row, signals);
  const timeoutController = new AbortController();
  const timer = setTimeout(() => timeoutController.abort(), row.timeoutMs);
  const cancelSignal = cancelSignalFromAbortSignal(
    AbortSignal.any([signals.cancel, timeoutController.signal]),
    deps.logger,
  );
  try {
    const definition = deps.registry.get(row.taskId);
    const input = deps.serializer.deserialize(row.runInput);
    const attempt = row.retryAttempts + row.recoveryAttempts;
    const code = definition.execute(
      {
        taskId: row.taskId,
        executionId: row.executionId,
        attempt,
        ...(attempt > 0 && row.error ? { prevError: row.error } : {}),
        cancelSignal,
        shutdownSignal: signals.shutdownSignal,
        progress: deps.progress.reporter(row),
      },
      input,
    );
    const result = await createCancellablePromise(code, cancelSignal).catch((error: unknown) => {
      // The cancel signal also fires on timeout; report which one it was.
      if (timeoutController.signal.aborted && !signals.cancel.aborted) {
        throw new DurableExecutionTimedOutError();
      }
      throw error;
    });
    return await successOutcome(deps, definition, row, input, result);
  } catch (error) {
    return failureOutcome(row, error);
  } finally {
    clearTimeout(timer);
    // The last reported progress is stored before the result.
    await deps.progress.flush(row.executionId);
  }
}

/**
 * A child whose idempotency key another execution held runs no code: it waits (within its own
 * timeout) for that execution, and finishes with its outcome: its output as stored, or its
 * error, never retried (the other execution had its own retries).
 */
async function linkedOutcome(
  deps: RunDependencies,
  row: ExecutionRow,
  signals: RunSignals,
): Promise<RunOutcome> {
  // An explicit timer (cleared below): AbortSignal.timeout may be collected before it fires.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), row.timeoutMs);
  const signal = AbortSignal.any([signals.cancel, timeout.signal]);
  try {
    const target = await deps.waitForFinished(row.linkedExecutionId!, signal);
    if (target.status === 'completed' && target.output !== null) {
      return { kind: 'completed', output: target.output, runOutput: null };
    }
    const status =
      target.status === 'cancelled' || target.status === 'timed_out' ? target.status : 'failed';
    const error = target.error ?? {
      errorType: 'generic' as const,
      message: `Execution ${row.linkedExecutionId} did not complete`,
      isRetryable: false,
    };
    return { kind: 'finished_with_error', status, error: { ...error, isRetryable: false } };
  } catch (error) {
    if (timeout.signal.aborted && !signals.cancel.aborted) {
      return failureOutcome(row, new DurableExecutionTimedOutError());
    }
    return failureOutcome(row, error);
  } finally {
    clearTimeout(timer);
  }
}

async function successOutcome(
  deps: RunDependencies,
  definition: TaskDefinition,
  row: ExecutionRow,
  input: unknown,
  result: TaskCodeResult,
): Promise<RunOutcome> {
  const { serializer, limits } = deps;
  const outputLabel = `Output of task ${row.taskId}`;
  if (result.kind === 'task') {
    return {
      kind: 'completed',
      output: serializer.serialize(result.output, limits.maxOutputBytes, outputLabel),
      runOutput: null,
    };
  }
  const runOutput = serializer.serialize(result.output, limits.maxOutputBytes, outputLabel);
  const now = Date.now();
  if (result.childrenTasks.length > 0) {
    return {
      kind: 'waiting_for_children',
      runOutput,
      children: await buildChildren(deps, row, result.childrenTasks, now),
    };
  }
  if (definition.finalizeTaskId !== null) {
    const finalize = await buildFinalize(deps, row, definition.finalizeTaskId, {
      input,
      output: result.output,
      childrenTasksOutputs: [],
    });
    return { kind: 'waiting_for_finalize', runOutput, finalize };
  }
  return {
    kind: 'completed',
    runOutput,
    output: serializer.serialize(
      { output: result.output, childrenTasksOutputs: [] },
      limits.maxOutputBytes,
      outputLabel,
    ),
  };
}

async function buildChildren(
  { registry, serializer, limits }: RunDependencies,
  parent: ExecutionRow,
  childrenTasks: ChildTask[],
  now: number,
): Promise<NewExecutionRow[]> {
  if (childrenTasks.length > limits.maxChildrenPerParent) {
    throw new DurableExecutionError(
      `Task ${parent.taskId} returned ${childrenTasks.length} children, over the limit of ${limits.maxChildrenPerParent}`,
      false,
    );
  }
  return Promise.all(
    childrenTasks.map((child, index) =>
      buildNewExecution(serializer, limits.maxInputBytes, {
        definition: registry.get(child.task.id),
        input: child.input,
        options: child.options,
        position: childPosition(parent, index),
        now,
        inheritedPriority: parent.priority,
        owner: parent.owner,
      }),
    ),
  );
}

/** The finalize row of `parent`, given the finalize input it receives. */
export function buildFinalize(
  { registry, serializer, limits }: RunDependencies,
  parent: ExecutionRow,
  finalizeTaskId: string,
  finalizeInput: unknown,
): Promise<NewExecutionRow> {
  return buildNewExecution(serializer, limits.maxInputBytes, {
    definition: registry.get(finalizeTaskId),
    input: finalizeInput,
    options: undefined,
    position: childPosition(parent, -1),
    now: Date.now(),
    inheritedPriority: parent.priority,
    // A finalize inserted when the last child closes joins its parent's trace.
    traceContext: parent.traceContext,
    owner: parent.owner,
  });
}

function failureOutcome(row: ExecutionRow, thrown: unknown): RunOutcome {
  const error = toErrorStorageValue(thrown);
  if (error.isRetryable && row.retryAttempts < row.retryOptions.maxAttempts) {
    const delay = retryDelayMs(row.retryOptions, row.retryAttempts);
    return { kind: 'retry', error, startAt: Date.now() + delay };
  }
  const status =
    error.errorType === 'cancelled'
      ? 'cancelled'
      : error.errorType === 'timed_out'
        ? 'timed_out'
        : 'failed';
  return { kind: 'finished_with_error', status, error };
}
