/**
 * Follow-ups of finished executions: update the parent (counters, failure, finalize result),
 * cancel the descendants of what did not complete, and move a parent whose children all
 * completed (or all finished, for a parent that continues on failures) on to its finalize task
 * or its output. Every step is an idempotent storage
 * operation, so the backstop loop can redo any step a crash interrupted.
 */
import { toErrorStorageValue } from './errors';
import type { ExecutorEvents } from './events';
import type { Logger } from './logger';
import { buildFinalize, type RunDependencies } from './runOutcome';
import { Batcher } from './batcher';
import type { SafeSerializer } from './serializer';
import type { CloseResult, DurableStorage, ExecutionRow, ParentAdvance } from './storage';
import { isFinishedStatus, type ChildTaskOutcome, type ChildTaskOutput } from './types';

export class Closer {
  /** Ids being followed up in this process, so the backstop loop does not race the fast path. */
  private readonly inFlight = new Set<string>();
  /** Closes requested together (e.g. a batch of finished children) share storage calls. */
  private readonly closes: Batcher<string, CloseResult>;

  constructor(
    private readonly storage: DurableStorage,
    private readonly deps: RunDependencies,
    private readonly events: ExecutorEvents,
    private readonly logger: Logger,
  ) {
    this.closes = new Batcher((ids) => storage.closeExecutions(ids, Date.now()), 500);
  }

  /** Closes `executionId`, then whatever its close finished in turn (parents up the tree). */
  async close(executionId: string): Promise<void> {
    if (this.inFlight.has(executionId)) return;
    this.inFlight.add(executionId);
    let result: CloseResult;
    try {
      result = await this.closes.add(executionId);
    } finally {
      this.inFlight.delete(executionId);
    }
    if (result.cancelledExecutionIds.length > 0) {
      this.events.emit('cancelled', { executionIds: result.cancelledExecutionIds });
      this.events.emit('finished', { executionIds: result.cancelledExecutionIds });
    }
    if (result.parentReadyToAdvanceExecutionId !== null) {
      await this.advance(result.parentReadyToAdvanceExecutionId);
    }
    if (result.finishedParentExecutionId !== null) {
      this.events.emit('finished', { executionIds: [result.finishedParentExecutionId] });
      await this.close(result.finishedParentExecutionId);
    }
  }

  /** Moves a parent whose children all completed to its finalize task or its output. */
  async advance(parentExecutionId: string): Promise<void> {
    const parent = await this.storage.getExecution(parentExecutionId);
    if (!parent || parent.status !== 'waiting_for_children_tasks') return;
    const definition = this.deps.registry.find(parent.taskId);
    if (!definition) {
      // Another deployment's task: an executor that registered it will advance it.
      this.logger.debug(`Parent ${parentExecutionId} of unknown task ${parent.taskId} left`);
      return;
    }
    const advance = await this.buildAdvance(parent, definition.finalizeTaskId);
    const applied = await this.storage.advanceParent(parentExecutionId, advance, Date.now());
    if (!applied) return;
    if (advance.kind === 'waiting_for_finalize') {
      this.events.emit('updated', { executionIds: [parentExecutionId] });
      this.events.emit('workReady', undefined);
    } else {
      this.events.emit('finished', { executionIds: [parentExecutionId] });
      await this.close(parentExecutionId);
    }
  }

  private async buildAdvance(
    parent: ExecutionRow,
    finalizeTaskId: string | null,
  ): Promise<ParentAdvance> {
    const { serializer, limits } = this.deps;
    // Storage errors propagate (the backstop loop retries); only building the result can fail it.
    const children = await this.storage.getChildren(parent.executionId);
    try {
      const childrenTasksOutputs = children.map((child) =>
        parent.onChildFailure === 'continue'
          ? childOutcome(child, serializer)
          : childOutput(child, serializer),
      );
      const output =
        parent.runOutput === null ? undefined : serializer.deserialize(parent.runOutput);
      if (finalizeTaskId !== null) {
        const input = serializer.deserialize(parent.runInput);
        const finalize = await buildFinalize(this.deps, parent, finalizeTaskId, {
          input,
          output,
          childrenTasksOutputs,
        });
        return { kind: 'waiting_for_finalize', finalize };
      }
      return {
        kind: 'completed',
        output: serializer.serialize(
          { output, childrenTasksOutputs },
          limits.maxOutputBytes,
          `Output of task ${parent.taskId}`,
        ),
      };
    } catch (error) {
      return { kind: 'failed', error: { ...toErrorStorageValue(error), isRetryable: false } };
    }
  }
}

function childOutput(child: ExecutionRow, serializer: SafeSerializer): ChildTaskOutput {
  return {
    index: child.indexInParent,
    taskId: child.taskId,
    executionId: child.executionId,
    output: child.output === null ? undefined : serializer.deserialize(child.output),
  };
}

/** A child's entry for a `'continue'` parent: its status, and its output or its error. */
function childOutcome(child: ExecutionRow, serializer: SafeSerializer): ChildTaskOutcome {
  const base = { index: child.indexInParent, taskId: child.taskId, executionId: child.executionId };
  if (child.status === 'completed') {
    return { ...base, status: 'completed', output: childOutput(child, serializer).output };
  }
  if (!isFinishedStatus(child.status)) {
    throw new Error(`Child ${child.executionId} of a finished count is still ${child.status}`);
  }
  return {
    ...base,
    status: child.status,
    error: child.error ?? { errorType: 'generic', message: 'Unknown error', isRetryable: false },
  };
}
