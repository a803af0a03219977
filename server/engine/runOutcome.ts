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
