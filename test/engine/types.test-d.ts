/** Type flow of the public API: inputs and outputs follow each task through every call. */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createCancelSignal,
  createInMemoryStorage,
  createSuperjsonSerializer,
  createTimeoutCancelSignal,
  DurableExecutor,
  superjsonSerializer,
  WrappedSerializer,
} from '@/server/engine';
import type {
  CancelSignal,
  ChildTaskOutcome,
  ChildTaskOutput,
  DefaultParentTaskOutput,
  DurableExecutionErrorStorageValue,
  DurableTask,
  FinalizeTaskInput,
  FinishedTaskExecution,
  Logger,
  Serializer,
  TaskExecution,
  TaskHandle,
  TaskRunContext,
} from '@/server/engine';

const executor = new DurableExecutor(createInMemoryStorage());

const toLength = executor.task({
  id: 'to_length',
  timeoutMs: 1000,
  run: (ctx, input: string) => {
    expectTypeOf(ctx).toEqualTypeOf<TaskRunContext>();
    return input.length;
  },
});

describe('task types', () => {
  it('infers DurableTask<Input, Output> from run, unwrapping promises', () => {
    expectTypeOf(toLength).toEqualTypeOf<DurableTask<string, number>>();
    const asyncTask = executor.task({
      id: 'async_types',
      timeoutMs: 1000,
      run: async (_ctx, input: { a: number }) => {
        await Promise.resolve();
        return [input.a];
      },
    });
    expectTypeOf(asyncTask).toEqualTypeOf<DurableTask<{ a: number }, number[]>>();
    const noInput = executor.task({ id: 'no_input', timeoutMs: 1000, run: () => true });
    expectTypeOf(noInput).toEqualTypeOf<DurableTask<undefined, boolean>>();
  });

  it('accepts only the task input type at enqueue and types the handle', () => {
    const enqueue = async () => {
      const handle = await executor.enqueueTask(toLength, 'text');
      expectTypeOf(handle).toEqualTypeOf<TaskHandle<number>>();
      // @ts-expect-error a number is not the string input
      await executor.enqueueTask(toLength, 3);
      // @ts-expect-error the input is required
      await executor.enqueueTask(toLength);
      const again = await executor.getTaskHandle(toLength, handle.getTaskExecutionId());
      expectTypeOf(again).toEqualTypeOf<TaskHandle<number>>();
    };
    expectTypeOf(enqueue).returns.resolves.toBeVoid();
  });

  it('carries the output type into finished executions, narrowed by status', () => {
    const read = async (handle: TaskHandle<number>) => {
      const execution = await handle.waitAndGetTaskFinishedExecution();
      expectTypeOf(execution).toEqualTypeOf<FinishedTaskExecution<number>>();
      if (execution.status === 'completed') {
        expectTypeOf(execution.output).toEqualTypeOf<number>();
        expectTypeOf(execution.finishedAt).toEqualTypeOf<Date>();
      } else {
        expectTypeOf(execution.error).toEqualTypeOf<DurableExecutionErrorStorageValue>();
        // Only a completed execution has an output: narrowed away, it is exactly undefined.
        expectTypeOf(execution.output).toEqualTypeOf<undefined>();
      }
      expectTypeOf(await handle.getTaskExecution()).toEqualTypeOf<TaskExecution<number>>();
    };
    expectTypeOf(read).parameter(0).toEqualTypeOf<TaskHandle<number>>();
  });
});

describe('parent task types', () => {
  it('outputs DefaultParentTaskOutput<RunOutput> without a finalize task', () => {
    const parent = executor.parentTask({
      id: 'typed_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({
        output: { doubled: input * 2 },
        childrenTasks: [{ task: toLength, input: 'child' }],
      }),
    });
    expectTypeOf(parent).toEqualTypeOf<
      DurableTask<number, DefaultParentTaskOutput<{ doubled: number }>>
    >();
  });

  it('outputs the finalize output with a finalize task, checking its input', () => {
    const finalize = executor.task({
      id: 'typed_finalize',
      timeoutMs: 1000,
      run: (_ctx, input: FinalizeTaskInput<number, string>) => ({
        total: input.input + input.output.length + input.childrenTasksOutputs.length,
      }),
    });
    const parent = executor.parentTask({
      id: 'typed_parent_finalize',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({ output: String(input) }),
      finalizeTask: finalize,
    });
    expectTypeOf(parent).toEqualTypeOf<DurableTask<number, { total: number }>>();

    executor.parentTask({
      id: 'mismatched_finalize',
      timeoutMs: 1000,
      runParent: (_ctx, input: string) => ({ output: input }),
      // @ts-expect-error the finalize task expects a number input and string run output
      finalizeTask: finalize,
    });
  });
});

describe('inline finalize task types', () => {
  it('types the run input of an inline finalize and takes its output as the parent output', () => {
    const parent = executor.parentTask({
      id: 'typed_inline_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({
        output: String(input),
        childrenTasks: [{ task: toLength, input: 'child' }],
      }),
      finalizeTask: {
        id: 'typed_inline_finalize',
        timeoutMs: 1000,
        run: (_ctx, finalizeInput) => {
          expectTypeOf(finalizeInput).toEqualTypeOf<FinalizeTaskInput<number, string>>();
          expectTypeOf(finalizeInput.childrenTasksOutputs).toEqualTypeOf<ChildTaskOutput[]>();
          return { total: finalizeInput.input + finalizeInput.output.length };
        },
      },
    });
    expectTypeOf(parent).toEqualTypeOf<DurableTask<number, { total: number }>>();
  });

  it('refuses an inline finalize whose run takes another input', () => {
    // @ts-expect-error the inline finalize expects a string parent input, the parent has a number
    executor.parentTask({
      id: 'mistyped_inline_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({ output: String(input) }),
      finalizeTask: {
        id: 'mistyped_inline_finalize',
        timeoutMs: 1000,
        run: (_ctx, finalizeInput: FinalizeTaskInput<string, string>) => finalizeInput.input,
      },
    });
  });

  it('refuses a mistyped inline definition held in a variable, never taking it for a task', () => {
    const heldFinalize = {
      id: 'held_inline_finalize',
      timeoutMs: 1000,
      run: (_ctx: TaskRunContext, finalizeInput: FinalizeTaskInput<string, string>) =>
        finalizeInput.input,
    };
    executor.parentTask({
      id: 'held_inline_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({ output: String(input) }),
      // @ts-expect-error an object with `run` is a definition, checked as one: its input is wrong
      finalizeTask: heldFinalize,
    });
  });

  it('types nested inline finalize parents level by level', () => {
    const parent = executor.parentTask({
      id: 'typed_nested_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({ output: String(input) }),
      finalizeTask: {
        id: 'typed_nested_finalize',
        timeoutMs: 1000,
        runParent: (_ctx, { input, output }) => {
          expectTypeOf(input).toEqualTypeOf<number>();
          expectTypeOf(output).toEqualTypeOf<string>();
          return { output: { n: input }, childrenTasks: [{ task: toLength, input: output }] };
        },
        finalizeTask: {
          id: 'typed_nested_finalize_finalize',
          timeoutMs: 1000,
          run: (_ctx, { input, output }) => {
            expectTypeOf(input).toEqualTypeOf<FinalizeTaskInput<number, string>>();
            expectTypeOf(output).toEqualTypeOf<{ n: number }>();
            return [output.n];
          },
        },
      },
    });
    expectTypeOf(parent).toEqualTypeOf<DurableTask<number, number[]>>();

    const leaf = executor.parentTask({
      id: 'typed_leaf_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: number) => ({ output: input }),
      finalizeTask: {
        id: 'typed_leaf_finalize',
        timeoutMs: 1000,
        runParent: (_ctx, { output }) => ({ output: { doubled: output * 2 } }),
      },
    });
    expectTypeOf(leaf).toEqualTypeOf<
      DurableTask<number, DefaultParentTaskOutput<{ doubled: number }>>
    >();
  });

  it('types inline finalize tasks of validating builders from the validated input', () => {
    const validated = executor
      .validateInput((input: string) => Number(input))
      .parentTask({
        id: 'typed_validated_inline',
        timeoutMs: 1000,
        runParent: (_ctx, n) => ({ output: n > 0 }),
        finalizeTask: {
          id: 'typed_validated_inline_finalize',
          timeoutMs: 1000,
          run: (_ctx, { input, output }) => {
            expectTypeOf(input).toEqualTypeOf<number>();
            expectTypeOf(output).toEqualTypeOf<boolean>();
            return output ? input : -input;
          },
        },
      });
    expectTypeOf(validated).toEqualTypeOf<DurableTask<string, number>>();

    const parsed = executor.inputSchema(z.object({ n: z.number() })).parentTask({
      id: 'typed_schema_inline',
      timeoutMs: 1000,
      runParent: (_ctx, input) => ({ output: input.n }),
      finalizeTask: {
        id: 'typed_schema_inline_finalize',
        timeoutMs: 1000,
        run: (_ctx, { input, output }) => `${input.n}:${output}`,
      },
    });
    expectTypeOf(parsed).toEqualTypeOf<DurableTask<{ n: number }, string>>();
  });
});

describe('durable-execution 0.11 export types', () => {
  it('types serializers, cancel signals and running ids as the reference does', () => {
    expectTypeOf(createSuperjsonSerializer()).toEqualTypeOf<Serializer>();
    expectTypeOf(new WrappedSerializer(createSuperjsonSerializer())).toMatchTypeOf<Serializer>();
    expectTypeOf(
      new WrappedSerializer(superjsonSerializer).deserialize<Date>(''),
    ).toEqualTypeOf<Date>();
    expectTypeOf(createCancelSignal()).toEqualTypeOf<[CancelSignal, () => void]>();
    expectTypeOf(createCancelSignal)
      .parameter(0)
      .toEqualTypeOf<{ abortSignal?: AbortSignal; logger?: Logger } | undefined>();
    expectTypeOf(createTimeoutCancelSignal(10)).toEqualTypeOf<CancelSignal>();
    expectTypeOf(executor.getRunningTaskExecutionIds()).toEqualTypeOf<ReadonlySet<string>>();
  });
});

describe('validated and sequential task types', () => {
  it('infers the enqueue input from a zod schema and runs with its output', () => {
    const schema = z.object({ n: z.string() }).transform(({ n }) => Number(n));
    const parsed = executor.inputSchema(schema).task({
      id: 'typed_schema',
      timeoutMs: 1000,
      run: (_ctx, input) => {
        expectTypeOf(input).toEqualTypeOf<number>();
        return input > 0;
      },
    });
    expectTypeOf(parsed).toEqualTypeOf<DurableTask<{ n: string }, boolean>>();
  });

  it('infers the enqueue input from validateInput and runs with what it returns', () => {
    const validated = executor
      .validateInput((input: string) => ({ trimmed: input.trim() }))
      .task({
        id: 'typed_validate',
        timeoutMs: 1000,
        run: (_ctx, input) => {
          expectTypeOf(input).toEqualTypeOf<{ trimmed: string }>();
          return input.trimmed.length;
        },
      });
    expectTypeOf(validated).toEqualTypeOf<DurableTask<string, number>>();
  });

  it('types a sequence from the first input to the last output', () => {
    const isEven = executor.task({
      id: 'is_even',
      timeoutMs: 1000,
      run: (_ctx, n: number) => n % 2 === 0,
    });
    const sequence = executor.sequentialTasks(toLength, isEven);
    expectTypeOf(sequence).toEqualTypeOf<DurableTask<string, boolean>>();
  });
});

describe('children-failure policy types', () => {
  it("types a 'continue' parent's entries as a union by status", () => {
    executor.parentTask({
      id: 'types_continue',
      timeoutMs: 1000,
      onChildFailure: 'continue',
      runParent: (_ctx, input: string) => ({
        output: input.length,
        childrenTasks: [{ task: toLength, input }],
      }),
      finalizeTask: {
        id: 'types_continue_final',
        timeoutMs: 1000,
        run: (_ctx, { output, childrenTasksOutputs }) => {
          expectTypeOf(output).toEqualTypeOf<number>();
          expectTypeOf(childrenTasksOutputs).toEqualTypeOf<ChildTaskOutcome[]>();
          const [first] = childrenTasksOutputs;
          if (first?.status === 'completed') {
            expectTypeOf(first.error).toEqualTypeOf<undefined>();
          } else if (first) {
            expectTypeOf(first.error).toEqualTypeOf<DurableExecutionErrorStorageValue>();
            expectTypeOf(first.output).toEqualTypeOf<undefined>();
          }
          return 'summary';
        },
      },
    });
    const plain = executor.parentTask({
      id: 'types_continue_plain',
      timeoutMs: 1000,
      onChildFailure: 'continue',
      runParent: () => ({ output: 1 }),
    });
    expectTypeOf(plain).toEqualTypeOf<
      DurableTask<undefined, DefaultParentTaskOutput<number, 'continue'>>
    >();
  });

  it("keeps the reference's entries without a policy, which have no status", () => {
    executor.parentTask({
      id: 'types_fail_parent',
      timeoutMs: 1000,
      runParent: (_ctx, input: string) => ({ output: input, childrenTasks: [] }),
      finalizeTask: {
        id: 'types_fail_parent_final',
        timeoutMs: 1000,
        run: (_ctx, { childrenTasksOutputs }) => {
          expectTypeOf(childrenTasksOutputs).toEqualTypeOf<ChildTaskOutput[]>();
          const first = childrenTasksOutputs[0];
          // @ts-expect-error entries of a failParent parent are all completed: no status
          return first?.status === 'completed';
        },
      },
    });
  });
});
