/** Builds validated, serialized rows for new executions: roots, children and finalize tasks. */
import { newExecutionId } from './ids';
import { flowKeysOf, resolveEnqueueFlow } from './flowControl';
import { resolveEnqueueOptions } from './options';
import type { SafeSerializer } from './serializer';
import type { ExecutionRow, ExecutionTreePosition, NewExecutionRow } from './storage';
import { validateTaskInput, type TaskDefinition } from './taskRegistry';
import type { TaskEnqueueOptions } from './types';

export const ROOT_POSITION: ExecutionTreePosition = Object.freeze({
  rootTaskId: null,
  rootExecutionId: null,
  parentTaskId: null,
  parentExecutionId: null,
  indexInParent: 0,
  isFinalizeTask: false,
});

/** Where a child (index >= 0) or the finalize task (index -1) of `parent` sits. */
export function childPosition(parent: ExecutionRow, index: number): ExecutionTreePosition {
  return {
    rootTaskId: parent.rootTaskId ?? parent.taskId,
    rootExecutionId: parent.rootExecutionId ?? parent.executionId,
    parentTaskId: parent.taskId,
    parentExecutionId: parent.executionId,
    indexInParent: index,
    isFinalizeTask: index < 0,
  };
}

export interface NewExecutionRequest {
  definition: TaskDefinition;
  input: unknown;
  options: TaskEnqueueOptions | undefined;
  position: ExecutionTreePosition;
  now: number;
  /** The parent's priority, which a child and a finalize task take unless they set one. */
  inheritedPriority?: number;
  /** The W3C trace context to store (see `NewExecutionRow.traceContext`). */
  traceContext?: string | null;
  /** The input was validated (and transformed) before: a rerun of a stored input. */
  validated?: boolean;
  owner?: string | null;
}

export async function buildNewExecution(
  serializer: SafeSerializer,
  maxInputBytes: number,
  {
    definition,
    input,
    options,
    position,
    now,
    inheritedPriority = 0,
    traceContext = null,
    validated = false,
    owner = null,
  }: NewExecutionRequest,
): Promise<NewExecutionRow> {
  const runOptions = resolveEnqueueOptions(definition.runOptions, options, definition.id);
  const flow = resolveEnqueueFlow(options, inheritedPriority, now, definition.id);
  const runInput = validated ? input : await validateTaskInput(definition, input);
  const keys = flowKeysOf(definition.flow, runInput, definition.id);
  return {
    ...position,
    executionId: newExecutionId(),
    taskId: definition.id,
    runInput: serializer.serialize(runInput, maxInputBytes, `Input of task ${definition.id}`),
    retryOptions: runOptions.retryOptions,
    sleepMsBeforeRun: runOptions.sleepMsBeforeRun,
    timeoutMs: runOptions.timeoutMs,
    startAt: now + runOptions.sleepMsBeforeRun,
    createdAt: now,
    onChildFailure: definition.onChildFailure,
    owner,
    ...flow,
    ...keys,
    traceContext,
    ...(definition.kind === 'sleepingTask' ? { waitsForEvent: true } : {}),
  };
}
