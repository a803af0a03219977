/**
 * Builds typed task handles from user options: plain tasks, parent tasks, input validation
 * (a function or any Standard Schema) and sequential chains.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { DurableOptionsError } from './options';
import { derivedTaskId } from './ids';
import {
  normalizeCommonOptions,
  type InputValidator,
  type TaskDefinition,
  type TaskRegistry,
} from './taskRegistry';
import type {
  AnyDurableTask,
  DefaultParentTaskOutput,
  DurableTask,
  FinalizeTaskInput,
  InferTaskInput,
  InferTaskOutput,
  ParentTaskOptions,
  ParentTaskWithFinalizeOptions,
  TaskOptions,
} from './types';

/** Task builders whose tasks take `TInput` at enqueue and run with the validated `TRunInput`. */
export interface TaskBuilders<TInput, TRunInput> {
  task<TOutput>(options: TaskOptions<TRunInput, TOutput>): DurableTask<TInput, TOutput>;
  parentTask<TRunOutput, TFinalizeOutput>(
    options: ParentTaskWithFinalizeOptions<TRunInput, TRunOutput, TFinalizeOutput>,
  ): DurableTask<TInput, TFinalizeOutput>;
  parentTask<TRunOutput>(
    options: ParentTaskOptions<TRunInput, TRunOutput> & { finalizeTask?: undefined },
  ): DurableTask<TInput, DefaultParentTaskOutput<TRunOutput>>;
}

/** The executor's own builders: the input type is inferred from `run` / `runParent`. */
export interface PlainTaskBuilders {
  task: <TInput = undefined, TOutput = unknown>(
    options: TaskOptions<TInput, TOutput>,
  ) => DurableTask<TInput, TOutput>;
  parentTask: PlainParentTaskBuilder;
}

export interface PlainParentTaskBuilder {
  <TInput, TRunOutput, TFinalizeOutput>(
    options: ParentTaskWithFinalizeOptions<TInput, TRunOutput, TFinalizeOutput>,
  ): DurableTask<TInput, TFinalizeOutput>;
  <TInput = undefined, TRunOutput = unknown>(
    options: ParentTaskOptions<TInput, TRunOutput> & { finalizeTask?: undefined },
  ): DurableTask<TInput, DefaultParentTaskOutput<TRunOutput>>;
}

type LastOf<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : never;

export type SequentialTask<T extends readonly AnyDurableTask[]> = DurableTask<
  InferTaskInput<T[0]>,
  InferTaskOutput<LastOf<T>>
>;

/** Untyped builders; the typed views above are casts of these. */
interface UntypedBuilders {
  task(options: TaskOptions<unknown, unknown>): AnyDurableTask;
  parentTask(
    options: ParentTaskOptions<unknown, unknown> & { finalizeTask?: AnyDurableTask },
  ): AnyDurableTask;
}

export function createPlainTaskBuilders(registry: TaskRegistry): PlainTaskBuilders {
  return createTaskBuilders(registry, null) as unknown as PlainTaskBuilders;
}

export function createValidatingTaskBuilders<TInput, TRunInput>(
  registry: TaskRegistry,
  validateInput: InputValidator,
): TaskBuilders<TInput, TRunInput> {
  return createTaskBuilders(registry, validateInput) as unknown as TaskBuilders<TInput, TRunInput>;
}

function createTaskBuilders(
  registry: TaskRegistry,
  validateInput: InputValidator | null,
): UntypedBuilders {
  function task(options: TaskOptions<unknown, unknown>): AnyDurableTask {
    const common = normalizeCommonOptions(options);
    const run = requireFunction(options.run, 'run', common.id);
    registry.register({
      ...common,
      kind: 'task',
      validateInput,
      finalizeTaskId: null,
      execute: async (ctx, input) => ({ kind: 'task', output: await run(ctx, input) }),
    });
    return { id: common.id };
  }

  function parentTask(
    options: ParentTaskOptions<unknown, unknown> & { finalizeTask?: AnyDurableTask },
  ): AnyDurableTask {
    const common = normalizeCommonOptions(options);
    const runParent = requireFunction(options.runParent, 'runParent', common.id);
    const definition: TaskDefinition = {
      ...common,
      kind: 'parentTask',
      validateInput,
      finalizeTaskId: options.finalizeTask?.id ?? null,
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
    registry.register(definition);
    return { id: common.id };
  }

  return { task, parentTask };
}

/** A validator from a Standard Schema (zod, valibot, arktype...): issues become one summary. */
export function standardSchemaValidator(schema: StandardSchemaV1): InputValidator {
  return async (input) => {
    const result = await schema['~standard'].validate(input);
    if (result.issues) {
      throw new Error(result.issues.map(describeIssue).join('; '));
    }
    return result.value;
  };
}

function describeIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? [])
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .map(String)
    .join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * A chain where each task's output is the next one's input, built from parent tasks so it is
 * as durable as any tree: stage k runs task k as its only child, and its finalize is stage k+1.
 * Ids derive from the member ids, so every process defining it gets the same ones.
 */
export function defineSequentialTasks(
  registry: TaskRegistry,
  tasks: readonly AnyDurableTask[],
): AnyDurableTask {
  if (tasks.length === 0) throw new DurableOptionsError('No tasks provided');
  const [first] = tasks;
  if (tasks.length === 1 && first) return first;
  for (const member of tasks) registry.get(member.id);

  const sequenceId = derivedTaskId(
    'sequence',
    tasks.map((t) => t.id),
  );
  if (registry.has(sequenceId)) return { id: sequenceId };

  const builders = createTaskBuilders(registry, null);
  const stageTimeoutMs = 30_000;
  type StageInput = FinalizeTaskInput<unknown, unknown>;
  let next: AnyDurableTask = builders.task({
    id: `${sequenceId}_out`,
    timeoutMs: stageTimeoutMs,
    run: (_ctx, input) => (input as StageInput).childrenTasksOutputs[0]?.output,
  });
  for (let index = tasks.length - 1; index >= 1; index--) {
    const member = tasks[index]!;
    next = builders.parentTask({
      id: `${sequenceId}_${index}`,
      timeoutMs: stageTimeoutMs,
      runParent: (_ctx, input) => ({
        output: null,
        childrenTasks: [
          { task: member, input: (input as StageInput).childrenTasksOutputs[0]?.output },
        ],
      }),
      finalizeTask: next,
    });
  }
  return builders.parentTask({
    id: sequenceId,
    timeoutMs: stageTimeoutMs,
    runParent: (_ctx, input) => ({ output: null, childrenTasks: [{ task: first!, input }] }),
    finalizeTask: next,
  });
}

function requireFunction<T>(value: T, name: string, taskId: string): T {
  if (typeof value !== 'function') {
    throw new DurableOptionsError(`Task ${taskId}: ${name} must be a function`);
  }
  return value;
}
