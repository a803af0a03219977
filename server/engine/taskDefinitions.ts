/**
 * Turns the options of a task or parent task into registry definitions. A parent's inline
 * finalize definitions, nested to any depth, come along with it, so that the registry can take
 * the whole group at once or refuse all of it.
 */
import { DurableOptionsError } from './options';
import { normalizeCommonOptions, type InputValidator, type TaskDefinition } from './taskRegistry';
import type { AnyDurableTask, ChildFailurePolicy, ParentTaskOptions, TaskOptions } from './types';

export type UntypedTaskOptions = TaskOptions<unknown, unknown>;

export interface UntypedParentTaskOptions extends ParentTaskOptions<
  unknown,
  unknown,
  ChildFailurePolicy
> {
  finalizeTask?: UntypedFinalizeTask;
}

/** A defined task, or an inline task or parent-task definition. */
export type UntypedFinalizeTask = AnyDurableTask | UntypedTaskOptions | UntypedParentTaskOptions;

export function taskDefinition(
  options: UntypedTaskOptions,
  validateInput: InputValidator | null,
): TaskDefinition {
  const common = normalizeCommonOptions(options);
  const run = requireFunction(options.run, 'run', common.id);
  return {
    ...common,
    kind: 'task',
    validateInput,
    finalizeTaskId: null,
    onChildFailure: 'failParent',
    execute: async (ctx, input) => ({ kind: 'task', output: await run(ctx, input) }),
  };
}

/** The parent's definition first, then those of its inline finalize tasks, outermost first. */
export function parentTaskDefinitions(
  options: UntypedParentTaskOptions,
  validateInput: InputValidator | null,
): [TaskDefinition, ...TaskDefinition[]] {
  const common = normalizeCommonOptions(options);
  const runParent = requireFunction(options.runParent, 'runParent', common.id);
  const onChildFailure = childFailurePolicy(options.onChildFailure, common.id);
  const finalize = finalizeDefinitions(options.finalizeTask, common.id);
  const parent: TaskDefinition = {
    ...common,
    kind: 'parentTask',
    validateInput,
    finalizeTaskId: finalize.taskId,
    onChildFailure,
    execute: async (ctx, input) => {
      const result = await runParent(ctx, input);
      if (typeof result !== 'object' || result === null) {
        throw new DurableOptionsError(`runParent of task ${common.id} must return an object`);
      }
      const childrenTasks = result.childrenTasks ?? [];
      if (!Array.isArray(childrenTasks)) {
        throw new DurableOptionsError(`childrenTasks of task ${common.id} must be an array`);
      }
      return { kind: 'parentTask', output: result.output, childrenTasks };
    },
  };
  return [parent, ...finalize.definitions];
}

/**
 * The finalize task of `parentId`: none, a defined task (registered already), or an inline
 * definition. An inline finalize receives `{ input, output, childrenTasksOutputs }`, never the
 * parent's enqueue input, so the parent's input validator does not apply to it.
 */
function finalizeDefinitions(
  finalizeTask: UntypedFinalizeTask | undefined,
  parentId: string,
): { taskId: string | null; definitions: TaskDefinition[] } {
  if (finalizeTask === undefined) return { taskId: null, definitions: [] };
  const invalid = (reason: string) =>
    new DurableOptionsError(`Invalid finalizeTask of task ${parentId}: ${reason}`);
  if (typeof finalizeTask !== 'object' || finalizeTask === null) {
    throw invalid('must be a task or a task definition');
  }
  const inline = inlineKind(finalizeTask);
  if (inline === 'both') throw invalid('a definition has run or runParent, not both');
  if (inline === 'task') {
    const definition = taskDefinition(finalizeTask as UntypedTaskOptions, null);
    return { taskId: definition.id, definitions: [definition] };
  }
  if (inline === 'parentTask') {
    const definitions = parentTaskDefinitions(finalizeTask as UntypedParentTaskOptions, null);
    return { taskId: definitions[0].id, definitions };
  }
  if (typeof finalizeTask.id !== 'string') throw invalid('must be a task or a task definition');
  return { taskId: finalizeTask.id, definitions: [] };
}

/** Whether `value` is an inline definition (it has code), and of which kind. */
function inlineKind(value: object): 'task' | 'parentTask' | 'both' | null {
  const hasRun = 'run' in value && value.run !== undefined;
  const hasRunParent = 'runParent' in value && value.runParent !== undefined;
  if (hasRun && hasRunParent) return 'both';
  if (hasRun) return 'task';
  return hasRunParent ? 'parentTask' : null;
}

function childFailurePolicy(value: unknown, taskId: string): ChildFailurePolicy {
  if (value === undefined) return 'failParent';
  if (value === 'failParent' || value === 'continue') return value;
  throw new DurableOptionsError(
    `Invalid onChildFailure ${JSON.stringify(value)} of task ${taskId}: must be 'failParent' or 'continue'`,
  );
}

function requireFunction<T>(value: T, name: string, taskId: string): T {
  if (typeof value !== 'function') {
    throw new DurableOptionsError(`Invalid ${name} of task ${taskId}: must be a function`);
  }
  return value;
}
