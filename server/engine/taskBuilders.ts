/**
 * Builds typed task handles from user options: plain tasks, parent tasks, input validation
 * (a function or any Standard Schema) and sequential chains.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { InputIssuesError, type InputIssue } from './errors';
import { DurableOptionsError } from './options';
import { derivedTaskId } from './ids';
import {
  parentTaskDefinitions,
  taskDefinition,
  type UntypedFinalizeTask,
  type UntypedParentTaskOptions,
  type UntypedTaskOptions,
} from './taskDefinitions';
import type { InputValidator, TaskRegistry } from './taskRegistry';
import type {
  AnyDurableTask,
  ChildFailurePolicy,
  DefaultParentTaskOutput,
  DurableTask,
  FinalizeTaskInput,
  InferTaskInput,
  InferTaskOutput,
  ParentTaskOptions,
  ParentTaskWithFinalizeOptions,
  ParentTaskWithLeafParentFinalizeOptions,
  TaskOptions,
} from './types';

/** Task builders whose tasks take `TInput` at enqueue and run with the validated `TRunInput`. */
export interface TaskBuilders<TInput, TRunInput> {
  task<TOutput>(options: TaskOptions<TRunInput, TOutput>): DurableTask<TInput, TOutput>;
  parentTask<TRunOutput, TFinalizeRunOutput, TPolicy extends ChildFailurePolicy = 'failParent'>(
    options: ParentTaskWithLeafParentFinalizeOptions<
      TRunInput,
      TRunOutput,
      TFinalizeRunOutput,
      TPolicy
    >,
  ): DurableTask<TInput, DefaultParentTaskOutput<TFinalizeRunOutput>>;
  parentTask<
    TRunOutput,
    TFinalizeOutput,
    TFinalizeRunOutput = unknown,
    TPolicy extends ChildFailurePolicy = 'failParent',
  >(
    options: ParentTaskWithFinalizeOptions<
      TRunInput,
      TRunOutput,
      TFinalizeOutput,
      TFinalizeRunOutput,
      TPolicy
    >,
  ): DurableTask<TInput, TFinalizeOutput>;
  parentTask<TRunOutput, TPolicy extends ChildFailurePolicy = 'failParent'>(
    options: ParentTaskOptions<TRunInput, TRunOutput, TPolicy> & { finalizeTask?: undefined },
  ): DurableTask<TInput, DefaultParentTaskOutput<TRunOutput, TPolicy>>;
}

/** The executor's own builders: the input type is inferred from `run` / `runParent`. */
export interface PlainTaskBuilders {
  task: <TInput = undefined, TOutput = unknown>(
    options: TaskOptions<TInput, TOutput>,
  ) => DurableTask<TInput, TOutput>;
  parentTask: PlainParentTaskBuilder;
}

/**
 * Overloads, most specific first: an inline parent finalize without a finalize of its own
 * outputs its default output; any other finalize gives the output; none gives the default.
 */
export interface PlainParentTaskBuilder {
  <TInput, TRunOutput, TFinalizeRunOutput, TPolicy extends ChildFailurePolicy = 'failParent'>(
    options: ParentTaskWithLeafParentFinalizeOptions<
      TInput,
      TRunOutput,
      TFinalizeRunOutput,
      TPolicy
    >,
  ): DurableTask<TInput, DefaultParentTaskOutput<TFinalizeRunOutput>>;
  <
    TInput,
    TRunOutput,
    TFinalizeOutput,
    TFinalizeRunOutput = unknown,
    TPolicy extends ChildFailurePolicy = 'failParent',
  >(
    options: ParentTaskWithFinalizeOptions<
      TInput,
      TRunOutput,
      TFinalizeOutput,
      TFinalizeRunOutput,
      TPolicy
    >,
  ): DurableTask<TInput, TFinalizeOutput>;
  <TInput = undefined, TRunOutput = unknown, TPolicy extends ChildFailurePolicy = 'failParent'>(
    options: ParentTaskOptions<TInput, TRunOutput, TPolicy> & { finalizeTask?: undefined },
  ): DurableTask<TInput, DefaultParentTaskOutput<TRunOutput, TPolicy>>;
}

type LastOf<T extends readonly unknown[]> = T extends readonly [...unknown[], infer L] ? L : never;

export type SequentialTask<T extends readonly AnyDurableTask[]> = DurableTask<
  InferTaskInput<T[0]>,
  InferTaskOutput<LastOf<T>>
>;

/** Throws `DurableExecutorShutdownError` once the executor is shut down. */
export type AssertOpen = () => void;

/** Untyped builders; the typed views above are casts of these. */
interface UntypedBuilders {
  task(options: UntypedTaskOptions): AnyDurableTask;
  parentTask(options: UntypedParentTaskOptions): AnyDurableTask;
}

export function createPlainTaskBuilders(
  registry: TaskRegistry,
  assertOpen: AssertOpen,
): PlainTaskBuilders {
  return createTaskBuilders(registry, null, assertOpen) as unknown as PlainTaskBuilders;
}

export function createValidatingTaskBuilders<TInput, TRunInput>(
  registry: TaskRegistry,
  validateInput: InputValidator,
  assertOpen: AssertOpen,
): TaskBuilders<TInput, TRunInput> {
  return createTaskBuilders(registry, validateInput, assertOpen) as unknown as TaskBuilders<
    TInput,
    TRunInput
  >;
}

function createTaskBuilders(
  registry: TaskRegistry,
  validateInput: InputValidator | null,
  assertOpen: AssertOpen,
): UntypedBuilders {
  return {
    task(options) {
      assertOpen();
      const definition = taskDefinition(options, validateInput);
      registry.register(definition);
      return { id: definition.id };
    },
    parentTask(options) {
      assertOpen();
      // The parent and its inline finalize tasks are registered together, or not at all.
      const definitions = parentTaskDefinitions(options, validateInput);
      registry.register(...definitions);
      return { id: definitions[0].id };
    },
  };
}

/** A validator from a Standard Schema (zod, valibot, arktype...): issues become one summary. */
export function standardSchemaValidator(schema: StandardSchemaV1): InputValidator {
  return async (input) => {
    const result = await schema['~standard'].validate(input);
    if (result.issues) {
      throw new InputIssuesError(
        result.issues.map(describeIssue).join('; '),
        result.issues.map(toInputIssue),
      );
    }
    return result.value;
  };
}

function toInputIssue(issue: StandardSchemaV1.Issue): InputIssue {
  return {
    path: (issue.path ?? [])
      .map((segment) => (typeof segment === 'object' ? segment.key : segment))
      .map((key) => (typeof key === 'number' ? key : String(key))),
    message: issue.message,
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
 * as durable as any tree: stage k runs task k as its only child, and its inline finalize is
 * stage k+1; the last finalize outputs the last child's output. Ids derive from the member
 * ids, so every process defining it gets the same ones, and the stages register at once.
 */
export function defineSequentialTasks(
  registry: TaskRegistry,
  tasks: readonly AnyDurableTask[],
  assertOpen: AssertOpen,
): AnyDurableTask {
  assertOpen();
  if (tasks.length === 0) throw new DurableOptionsError('No tasks provided');
  const [first] = tasks;
  if (tasks.length === 1 && first) return first;
  for (const member of tasks) registry.get(member.id);

  const sequenceId = derivedTaskId(
    'sequence',
    tasks.map((t) => t.id),
  );
  if (registry.has(sequenceId)) return { id: sequenceId };

  const timeoutMs = 30_000;
  const previousOutput = (input: unknown) =>
    (input as FinalizeTaskInput<unknown, unknown>).childrenTasksOutputs[0]?.output;
  let next: UntypedFinalizeTask = {
    id: `${sequenceId}_out`,
    timeoutMs,
    run: (_ctx, input) => previousOutput(input),
  };
  for (let index = tasks.length - 1; index >= 1; index--) {
    const member = tasks[index]!;
    next = {
      id: `${sequenceId}_${index}`,
      timeoutMs,
      runParent: (_ctx, input) => ({
        output: null,
        childrenTasks: [{ task: member, input: previousOutput(input) }],
      }),
      finalizeTask: next,
    };
  }
  const definitions = parentTaskDefinitions(
    {
      id: sequenceId,
      timeoutMs,
      runParent: (_ctx, input) => ({ output: null, childrenTasks: [{ task: first!, input }] }),
      finalizeTask: next,
    },
    null,
  );
  registry.register(...definitions);
  return { id: sequenceId };
}
