/** Type flow of the public API: inputs and outputs follow each task through every call. */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createInMemoryStorage, DurableExecutor } from '@/server/engine';
import type {
  DefaultParentTaskOutput,
  DurableExecutionErrorStorageValue,
  DurableTask,
  FinalizeTaskInput,
  FinishedTaskExecution,
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
        // @ts-expect-error only a completed execution has an output
        expectTypeOf(execution.output).toBeUnknown();
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
