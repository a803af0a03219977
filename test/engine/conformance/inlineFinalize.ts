/**
 * Inline finalize tasks: definitions given as `finalizeTask`, registered with their parent
 * under their own ids, nested to any depth, and registered all together or not at all.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurableExecutionError, DurableOptionsError } from '@/server/engine';
import type { DurableExecutor, FinalizeTaskInput } from '@/server/engine';
import { rejectionOf } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

/** A parent whose children add one, and whose inline finalize sums the parent and children. */
function defineAdder(executor: DurableExecutor, received: unknown[] = []) {
  const addOne = executor.task({ id: 'add_one', timeoutMs: 1000, run: (_c, n: number) => n + 1 });
  return executor.parentTask({
    id: 'adder',
    timeoutMs: 1000,
    runParent: (_ctx, ns: number[]) => ({
      output: ns.length,
      childrenTasks: ns.map((n) => ({ task: addOne, input: n })),
    }),
    finalizeTask: {
      id: 'adder_sum',
      timeoutMs: 1000,
      run: (_ctx, finalizeInput) => {
        received.push(finalizeInput);
        const { input, output, childrenTasksOutputs } = finalizeInput;
        const total = childrenTasksOutputs.reduce((acc, c) => acc + (c.output as number), 0);
        return { count: output, inputs: input, total };
      },
    },
  });
}

function registeredIds(executor: DurableExecutor): string[] {
  return executor.listTasks().map((task) => task.id);
}

export function describeInlineFinalize(factory: EngineStoreFactory): void {
  describe('inline finalize tasks', () => {
    const engine = useEngineHarness(factory);

    it('registers an inline finalize with its parent and runs it on the parent results', async () => {
      const executor = engine.createExecutor();
      const received: unknown[] = [];
      const adder = defineAdder(executor, received);
      expect(executor.listTasks()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 'adder', kind: 'parentTask', finalizeTaskId: 'adder_sum' }),
          expect.objectContaining({ id: 'adder_sum', kind: 'task', finalizeTaskId: null }),
        ]),
      );
      executor.start();

      const handle = await executor.enqueueTask(adder, [1, 2, 3]);
      const execution = expectCompleted(await waitFinished(handle));
      expect(execution.output).toEqual({ count: 3, inputs: [1, 2, 3], total: 9 });
      expect(received).toEqual([
        {
          input: [1, 2, 3],
          output: 3,
          childrenTasksOutputs: [0, 1, 2].map((index) => ({
            index,
            taskId: 'add_one',
            executionId: expect.any(String) as string,
            output: index + 2,
          })),
        },
      ]);

      expect(execution.finalizeTask?.taskId).toBe('adder_sum');
      const finalizeHandle = await executor.getTaskHandle(
        { id: 'adder_sum' },
        execution.finalizeTask?.executionId ?? '',
      );
      const finalize = expectCompleted(await waitFinished(finalizeHandle));
      expect(finalize.parentTask).toMatchObject({
        taskId: 'adder',
        executionId: handle.getTaskExecutionId(),
        isFinalizeTask: true,
      });
    });

    it('runs an inline finalize that is a parent with children and an inline finalize', async () => {
      const executor = engine.createExecutor();
      const double = executor.task({
        id: 'double',
        timeoutMs: 1000,
        run: (_c, n: number) => n * 2,
      });
      const seen: FinalizeTaskInput<FinalizeTaskInput<number, string>, string>[] = [];
      const root = executor.parentTask({
        id: 'nested_root',
        timeoutMs: 1000,
        runParent: (_ctx, n: number) => ({
          output: `root ${n}`,
          childrenTasks: [
            { task: double, input: n },
            { task: double, input: n + 1 },
          ],
        }),
        finalizeTask: {
          id: 'nested_root_fin',
          timeoutMs: 1000,
          runParent: (_ctx, { output, childrenTasksOutputs }) => ({
            output: `${output}, doubled again`,
            childrenTasks: childrenTasksOutputs.map((c) => ({
              task: double,
              input: c.output as number,
            })),
          }),
          finalizeTask: {
            id: 'nested_root_fin_fin',
            timeoutMs: 1000,
            run: (_ctx, finalizeInput) => {
              seen.push(finalizeInput);
              return {
                first: finalizeInput.input.output,
                second: finalizeInput.output,
                quadrupled: finalizeInput.childrenTasksOutputs.map((c) => c.output as number),
              };
            },
          },
        },
      });
      executor.start();

      const execution = expectCompleted(await waitFinished(await executor.enqueueTask(root, 5)));
      expect(execution.output).toEqual({
        first: 'root 5',
        second: 'root 5, doubled again',
        quadrupled: [20, 24],
      });
      // The nested finalize received the outer finalize's input, run output and children.
      expect(seen[0]?.input.input).toBe(5);
      expect(seen[0]?.input.childrenTasksOutputs.map((c) => c.output)).toEqual([10, 12]);
      expect(registeredIds(executor)).toEqual(
        expect.arrayContaining(['nested_root', 'nested_root_fin', 'nested_root_fin_fin']),
      );
    });

    it('outputs the default parent output of an inline parent finalize without a finalize', async () => {
      const executor = engine.createExecutor();
      const echo = executor.task({ id: 'echo', timeoutMs: 1000, run: (_c, s: string) => s });
      const parent = executor.parentTask({
        id: 'leaf_fin_parent',
        timeoutMs: 1000,
        runParent: (_ctx, s: string) => ({ output: s.length }),
        finalizeTask: {
          id: 'leaf_fin',
          timeoutMs: 1000,
          runParent: (_ctx, { input, output }) => ({
            output: output * 10,
            childrenTasks: [{ task: echo, input }],
          }),
        },
      });
      executor.start();

      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(parent, 'abc')),
      );
      expect(execution.output.output).toBe(30);
      expect(execution.output.childrenTasksOutputs.map((c) => [c.taskId, c.output])).toEqual([
        ['echo', 'abc'],
      ]);
    });

    it('runs three levels of inline finalize parents, each one on the previous results', async () => {
      const executor = engine.createExecutor();
      const parent = executor.parentTask({
        id: 'level_0',
        timeoutMs: 1000,
        runParent: (_ctx, n: number) => ({ output: n + 1 }),
        finalizeTask: {
          id: 'level_1',
          timeoutMs: 1000,
          runParent: (_ctx, { output }) => ({ output: output * 2 }),
          finalizeTask: {
            id: 'level_2',
            timeoutMs: 1000,
            runParent: (_ctx, { output }) => ({ output: output + 100 }),
            finalizeTask: {
              id: 'level_3',
              timeoutMs: 1000,
              run: (_ctx, { output }) => `final ${String(output)}`,
            },
          },
        },
      });
      executor.start();

      const execution = expectCompleted(await waitFinished(await executor.enqueueTask(parent, 1)));
      expect(execution.output).toBe('final 104');
    });

    it('registers nothing when an inline finalize, at any depth, is invalid', async () => {
      const executor = engine.createExecutor();
      const define = (innerTimeoutMs: number) =>
        executor.parentTask({
          id: 'atomic_parent',
          timeoutMs: 1000,
          runParent: () => ({ output: 1 }),
          finalizeTask: {
            id: 'atomic_fin',
            timeoutMs: 1000,
            runParent: ({ taskId }) => ({ output: taskId }),
            finalizeTask: {
              id: 'atomic_fin_fin',
              timeoutMs: innerTimeoutMs,
              run: (_ctx, { output }) => output,
            },
          },
        });

      expect(() => define(0)).toThrow(
        'Invalid timeoutMs 0 of task atomic_fin_fin: must be an integer >= 1',
      );
      expect(registeredIds(executor)).toEqual([]);
      await expect(executor.enqueueTask({ id: 'atomic_parent' }, undefined)).rejects.toThrow(
        'Task atomic_parent not found',
      );

      // Nothing was left half registered: the same ids can be defined again.
      const parent = define(1000);
      expect(registeredIds(executor).sort()).toEqual(
        ['atomic_fin', 'atomic_fin_fin', 'atomic_parent'].sort(),
      );
      executor.start();
      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
      );
      expect(execution.output).toBe('atomic_fin');
    });

    it('registers no inline finalize of a parent whose own options are invalid', () => {
      const executor = engine.createExecutor();
      expect(() =>
        executor.parentTask({
          id: 'bad_parent',
          timeoutMs: -1,
          runParent: () => ({ output: 1 }),
          finalizeTask: { id: 'fine_fin', timeoutMs: 1000, run: () => 2 },
        }),
      ).toThrow('Invalid timeoutMs -1 of task bad_parent: must be an integer >= 1');
      expect(registeredIds(executor)).toEqual([]);
      expect(() => executor.task({ id: 'fine_fin', timeoutMs: 1000, run: () => 3 })).not.toThrow();
    });

    it('refuses an inline finalize whose id exists, and keeps the parent unregistered', () => {
      const executor = engine.createExecutor();
      executor.task({ id: 'taken', timeoutMs: 1000, run: () => 1 });
      const define = (finalizeId: string) =>
        executor.parentTask({
          id: 'wants_taken',
          timeoutMs: 1000,
          runParent: () => ({ output: 1 }),
          finalizeTask: { id: finalizeId, timeoutMs: 1000, run: () => 2 },
        });
      expect(() => define('taken')).toThrow('Task taken already exists');
      expect(() => define('wants_taken')).toThrow('Task wants_taken already exists');
      expect(() => define('taken')).toThrow(DurableOptionsError);
      expect(registeredIds(executor)).toEqual(['taken']);
    });

    it('refuses a finalize that is neither a task nor a definition, or has run and runParent', () => {
      const executor = engine.createExecutor();
      const withFinalize = (finalizeTask: unknown) => () =>
        executor.parentTask({
          id: 'odd_finalize',
          timeoutMs: 1000,
          runParent: () => ({ output: 1 }),
          finalizeTask: finalizeTask as { id: string; timeoutMs: number; run: () => number },
        });
      expect(withFinalize('odd_fin')).toThrow(
        'Invalid finalizeTask of task odd_finalize: must be a task or a task definition',
      );
      expect(
        withFinalize({
          id: 'odd_fin',
          timeoutMs: 1000,
          run: () => 1,
          runParent: () => ({ output: 1 }),
        }),
      ).toThrow('Invalid finalizeTask of task odd_finalize: a definition has run or runParent');
      expect(withFinalize({ id: 'not_defined_anywhere' })).toThrow(
        'Finalize task not_defined_anywhere of task odd_finalize is not registered',
      );
      expect(registeredIds(executor)).toEqual([]);
    });

    it('validates the parent input with the builders but hands the finalize its own input', async () => {
      const executor = engine.createExecutor();
      const schema = z.object({ csv: z.string() }).transform(({ csv }) => csv.split(','));
      const parsed = executor.inputSchema(schema).parentTask({
        id: 'schema_parent_inline',
        timeoutMs: 1000,
        runParent: (_ctx, parts) => ({ output: parts.length }),
        finalizeTask: {
          id: 'schema_parent_inline_fin',
          timeoutMs: 1000,
          run: (_ctx, { input, output }) => `${input.join('+')}=${output}`,
        },
      });
      const checked = executor
        .validateInput((n: number) => {
          if (n < 0) throw new Error('must not be negative');
          return n;
        })
        .parentTask({
          id: 'validated_parent_inline',
          timeoutMs: 1000,
          runParent: (_ctx, n) => ({ output: n * 2 }),
          finalizeTask: {
            id: 'validated_parent_inline_fin',
            timeoutMs: 1000,
            run: (_ctx, { input, output }) => input + output,
          },
        });
      executor.start();

      const invalid = await rejectionOf(
        executor.enqueueTask(parsed, { csv: 1 } as unknown as { csv: string }),
      );
      expect((invalid as Error).message).toMatch(/^Invalid input to task schema_parent_inline: /);
      await expect(executor.enqueueTask(checked, -1)).rejects.toThrow(
        'Invalid input to task validated_parent_inline: must not be negative',
      );
      const a = expectCompleted(
        await waitFinished(await executor.enqueueTask(parsed, { csv: 'x,y' })),
      );
      expect(a.output).toBe('x+y=2');
      const b = expectCompleted(await waitFinished(await executor.enqueueTask(checked, 4)));
      expect(b.output).toBe(12);
    });

    it('lets another executor that defines the same parent run its inline finalize', async () => {
      const enqueuer = engine.createExecutor();
      const runner = engine.createExecutor();
      const adder = defineAdder(enqueuer);
      defineAdder(runner);
      runner.start();

      const execution = expectCompleted(
        await waitFinished(await enqueuer.enqueueTask(adder, [10])),
      );
      expect(execution.output).toEqual({ count: 1, inputs: [10], total: 11 });
    });

    it('moves the parent to finalize_task_failed when the inline finalize fails', async () => {
      const executor = engine.createExecutor();
      const parent = executor.parentTask({
        id: 'inline_fin_fails',
        timeoutMs: 1000,
        runParent: () => ({ output: null }),
        finalizeTask: {
          id: 'inline_fin_throws',
          timeoutMs: 1000,
          run: () => {
            throw new DurableExecutionError('inline finalize broke', false);
          },
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
        'finalize_task_failed',
      );
      expect(execution.finalizeTaskError).toMatchObject({
        message: 'inline finalize broke',
        isRetryable: false,
      });
    });
  });
}
