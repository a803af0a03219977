/**
 * Normalised task definitions and the registry an executor claims from. Definitions are
 * validated once, here, so the run path never re-checks options.
 */
import {
  DurableExecutionNotFoundError,
  DurableInvalidInputError,
  InputIssuesError,
} from './errors';
import {
  flowLimitsOf,
  normalizeFlowControl,
  type FlowControlOptions,
  type TaskFlowControl,
} from './flowControl';
import type { TaskFlowLimits } from './storage';
import {
  DurableOptionsError,
  normalizeRetryOptions,
  normalizeSleepMsBeforeRun,
  validateTaskId,
  validateTimeoutMs,
  type ResolvedRunOptions,
} from './options';
import type { ChildFailurePolicy, ChildTask, CommonTaskOptions, TaskRunContext } from './types';

export type InputValidator = (input: unknown) => unknown;

/** What a task's code produced, before the engine turns it into a stored outcome. */
export type TaskCodeResult =
  | { kind: 'task'; output: unknown }
  | { kind: 'parentTask'; output: unknown; childrenTasks: ChildTask[] };

export interface TaskDefinition {
  id: string;
  kind: 'task' | 'parentTask' | 'sleepingTask';
  runOptions: ResolvedRunOptions;
  /** Validates and transforms input; throws a summary of what is wrong. */
  validateInput: InputValidator | null;
  execute: (ctx: TaskRunContext, input: unknown) => Promise<TaskCodeResult>;
  /** Id of the finalize task of a parent task, when it has one. */
  finalizeTaskId: string | null;
  /** What a parent does when a child does not complete ('failParent' for plain tasks). */
  onChildFailure: ChildFailurePolicy;
  /** Concurrency and rate limits, with the key functions that count executions under keys. */
  flow: TaskFlowControl;
}

/** Id and run options of a task definition; every error names the task (once its id is valid). */
export function normalizeCommonOptions(options: CommonTaskOptions & FlowControlOptions<never>): {
  id: string;
  runOptions: ResolvedRunOptions;
  flow: TaskFlowControl;
} {
  if (typeof options !== 'object' || options === null) {
    throw new DurableOptionsError('Task options must be an object');
  }
  const id = validateTaskId(options.id);
  return {
    id,
    runOptions: {
      timeoutMs: validateTimeoutMs(options.timeoutMs, id),
      retryOptions: normalizeRetryOptions(options.retryOptions, id),
      sleepMsBeforeRun: normalizeSleepMsBeforeRun(options.sleepMsBeforeRun, id),
    },
    flow: normalizeFlowControl(options, id),
  };
}

export class TaskRegistry {
  private readonly definitions = new Map<string, TaskDefinition>();
  private idsSnapshot: string[] = [];
  private flowLimitsSnapshot: TaskFlowLimits[] = [];

  /**
   * Registers definitions that belong together (a parent and its inline finalize tasks):
   * every one of them, or none when any is refused.
   */
  register(...definitions: TaskDefinition[]): void {
    const batch = new Map<string, TaskDefinition>();
    for (const definition of definitions) {
      if (this.definitions.has(definition.id) || batch.has(definition.id)) {
        throw new DurableOptionsError(`Task ${definition.id} already exists`);
      }
      batch.set(definition.id, definition);
    }
    for (const { id, finalizeTaskId } of definitions) {
      if (finalizeTaskId === null) continue;
      if (finalizeTaskId === id) {
        throw new DurableOptionsError(`Task ${id} cannot be its own finalize task`);
      }
      if (!this.definitions.has(finalizeTaskId) && !batch.has(finalizeTaskId)) {
        throw new DurableOptionsError(
          `Finalize task ${finalizeTaskId} of task ${id} is not registered`,
        );
      }
    }
    for (const definition of definitions) this.definitions.set(definition.id, definition);
    this.idsSnapshot = [...this.definitions.keys()];
    this.flowLimitsSnapshot = [...this.definitions.values()].flatMap(
      (definition) => flowLimitsOf(definition.id, definition.flow) ?? [],
    );
  }

  has(taskId: string): boolean {
    return this.definitions.has(taskId);
  }

  find(taskId: string): TaskDefinition | undefined {
    return this.definitions.get(taskId);
  }

  /** The definition, or a non-retryable "Task <id> not found". */
  get(taskId: string): TaskDefinition {
    const definition = this.definitions.get(taskId);
    if (!definition) throw new DurableExecutionNotFoundError(`Task ${taskId} not found`);
    return definition;
  }

  all(): TaskDefinition[] {
    return [...this.definitions.values()];
  }

  /** Registered ids: what this executor may claim. */
  taskIds(): readonly string[] {
    return this.idsSnapshot;
  }

  /** The limits of the registered tasks that have any, for every claim to keep. */
  flowLimits(): readonly TaskFlowLimits[] {
    return this.flowLimitsSnapshot;
  }
}

/** Runs a definition's validator, turning its failure into "Invalid input to task <id>: ...". */
export async function validateTaskInput(
  definition: TaskDefinition,
  input: unknown,
): Promise<unknown> {
  if (!definition.validateInput) return input;
  try {
    return await definition.validateInput(input);
  } catch (error) {
    const summary = error instanceof Error ? error.message : String(error);
    throw new DurableInvalidInputError(
      `Invalid input to task ${definition.id}: ${summary}`,
      error instanceof InputIssuesError ? error.issues : [],
    );
  }
}
