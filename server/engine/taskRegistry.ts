/**
 * Normalised task definitions and the registry an executor claims from. Definitions are
 * validated once, here, so the run path never re-checks options.
 */
import { DurableExecutionError, DurableExecutionNotFoundError } from './errors';
import {
  DurableOptionsError,
  normalizeRetryOptions,
  normalizeSleepMsBeforeRun,
  validateTaskId,
  validateTimeoutMs,
  type ResolvedRunOptions,
} from './options';
import type { ChildTask, CommonTaskOptions, TaskRunContext } from './types';

export type InputValidator = (input: unknown) => unknown;

/** What a task's code produced, before the engine turns it into a stored outcome. */
export type TaskCodeResult =
  | { kind: 'task'; output: unknown }
  | { kind: 'parentTask'; output: unknown; childrenTasks: ChildTask[] };

export interface TaskDefinition {
  id: string;
  kind: 'task' | 'parentTask';
  runOptions: ResolvedRunOptions;
  /** Validates and transforms input; throws a summary of what is wrong. */
  validateInput: InputValidator | null;
  execute: (ctx: TaskRunContext, input: unknown) => Promise<TaskCodeResult>;
  /** Id of the finalize task of a parent task, when it has one. */
  finalizeTaskId: string | null;
}

export function normalizeCommonOptions(options: CommonTaskOptions): {
  id: string;
  runOptions: ResolvedRunOptions;
} {
  if (typeof options !== 'object' || options === null) {
    throw new DurableOptionsError('Task options must be an object');
  }
  return {
    id: validateTaskId(options.id),
    runOptions: {
      timeoutMs: validateTimeoutMs(options.timeoutMs),
      retryOptions: normalizeRetryOptions(options.retryOptions),
      sleepMsBeforeRun: normalizeSleepMsBeforeRun(options.sleepMsBeforeRun),
    },
  };
}

export class TaskRegistry {
  private readonly definitions = new Map<string, TaskDefinition>();
  private idsSnapshot: string[] = [];

  register(definition: TaskDefinition): void {
    if (this.definitions.has(definition.id)) {
      throw new DurableOptionsError(`Task ${definition.id} already exists`);
    }
    if (definition.finalizeTaskId !== null && !this.definitions.has(definition.finalizeTaskId)) {
      throw new DurableOptionsError(
        `Finalize task ${definition.finalizeTaskId} of task ${definition.id} is not registered`,
      );
    }
    this.definitions.set(definition.id, definition);
    this.idsSnapshot = [...this.definitions.keys()];
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
    throw new DurableExecutionError(`Invalid input to task ${definition.id}: ${summary}`, false);
  }
}
