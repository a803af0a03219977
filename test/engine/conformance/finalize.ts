/** Finalize tasks: their input, their output as the parent's, nesting, and failures. */
import { describe, expect, it } from 'vitest';
import { DurableExecutionError } from '@/server/engine';
import type { FinalizeTaskInput } from '@/server/engine';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeFinalize(factory: EngineStoreFactory): void {
  describe('finalize tasks', () => {
    const engine = useEngineHarness(factory);

    it('gives the finalize task the input, run output and children outputs', async () => {
      const executor = engine.createExecutor();
      const received: FinalizeTaskInput<number[], string>[] = [];
      const triple = executor.task({
        id: 'triple',
        timeoutMs: 1000,
        run: (_c, n: number) => n * 3,
      });
      const sum = executor.task({
        id: 'sum_children',
        timeoutMs: 1000,
        run: (_ctx, input: FinalizeTaskInput<number[], string>) => {
          received.push(input);
          const total = input.childrenTasksOutputs.reduce(
            (acc, c) => acc + (c.output as number),
            0,
          );
          return { label: input.output, total };
        },
      });
      const parent = executor.parentTask({
        id: 'triple_then_sum',
        timeoutMs: 1000,
        runParent: (_ctx, ns: number[]) => ({
          output: 'tripled',
          childrenTasks: ns.map((n) => ({ task: triple, input: n })),
        }),
        finalizeTask: sum,
      });
      executor.start();

      const handle = await executor.enqueueTask(parent, [1, 2, 3]);
      const execution = expectCompleted(await waitFinished(handle));
      expect(execution.output).toEqual({ label: 'tripled', total: 18 });
      expect(execution.runOutput).toBe('tripled');

      expect(received).toHaveLength(1);
      expect(received[0]?.input).toEqual([1, 2, 3]);
      expect(received[0]?.output).toBe('tripled');
      expect(received[0]?.childrenTasksOutputs.map((c) => [c.index, c.output])).toEqual([
        [0, 3],
        [1, 6],
        [2, 9],
      ]);

      const finalizeRef = execution.finalizeTask;
      expect(finalizeRef?.taskId).toBe('sum_children');
      const finalize = await (
        await executor.getTaskHandle(sum, finalizeRef?.executionId ?? '')
      ).getTaskExecution();
      expect(finalize.status).toBe('completed');
      expect(finalize.parentTask).toMatchObject({
        taskId: 'triple_then_sum',
        executionId: handle.getTaskExecutionId(),
        isFinalizeTask: true,
      });
      expect(finalize.rootTask).toEqual({
        taskId: 'triple_then_sum',
        executionId: handle.getTaskExecutionId(),
      });
    });

    it('runs the finalize task of a parent without children', async () => {
      const executor = engine.createExecutor();
      const finalize = executor.task({
        id: 'finalize_alone',
        timeoutMs: 1000,
        run: (_ctx, input: FinalizeTaskInput<string, number>) =>
          `${input.input}:${input.output}:${input.childrenTasksOutputs.length}`,
      });
      const parent = executor.parentTask({
        id: 'childless_with_finalize',
        timeoutMs: 1000,
        runParent: (_ctx, input: string) => ({ output: input.length }),
        finalizeTask: finalize,
      });
      executor.start();

      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(parent, 'abcd')),
      );
      expect(execution.output).toBe('abcd:4:0');
      expect(execution.childrenTasks ?? []).toEqual([]);
      expect(execution.finalizeTask?.taskId).toBe('finalize_alone');
    });

    it('supports a finalize task that is itself a parent with children and a finalize', async () => {
      const executor = engine.createExecutor();
      const inc = executor.task({ id: 'inc', timeoutMs: 1000, run: (_c, n: number) => n + 1 });
      const innerFinalize = executor.task({
        id: 'inner_finalize',
        timeoutMs: 1000,
        run: (_ctx, input: FinalizeTaskInput<FinalizeTaskInput<number, string>, string>) => ({
          outer: input.input.output,
          inner: input.output,
          incremented: input.childrenTasksOutputs.map((c) => c.output),
        }),
      });
      const outerFinalize = executor.parentTask({
        id: 'outer_finalize_parent',
        timeoutMs: 1000,
        runParent: (_ctx, input: FinalizeTaskInput<number, string>) => ({
          output: `inner of ${input.output}`,
          childrenTasks: input.childrenTasksOutputs.map((c) => ({
            task: inc,
            input: c.output as number,
          })),
        }),
        finalizeTask: innerFinalize,
      });
      const root = executor.parentTask({
        id: 'nested_finalize_root',
        timeoutMs: 1000,
        runParent: (_ctx, n: number) => ({
          output: 'root',
          childrenTasks: [
            { task: inc, input: n },
            { task: inc, input: n * 10 },
          ],
        }),
        finalizeTask: outerFinalize,
      });
      executor.start();

      const execution = expectCompleted(await waitFinished(await executor.enqueueTask(root, 1)));
      expect(execution.output).toEqual({
        outer: 'root',
        inner: 'inner of root',
        incremented: [3, 12],
      });
    });

    it('moves the parent to finalize_task_failed when the finalize task fails', async () => {
      const executor = engine.createExecutor();
      let finalizeRuns = 0;
      const child = executor.task({ id: 'fine_child', timeoutMs: 1000, run: () => 'fine' });
      const badFinalize = executor.task({
        id: 'bad_finalize',
        timeoutMs: 1000,
        run: (_ctx, _input: FinalizeTaskInput<undefined, null>) => {
          finalizeRuns += 1;
          throw new DurableExecutionError('finalize broke', false);
        },
      });
      const parent = executor.parentTask({
        id: 'parent_bad_finalize',
        timeoutMs: 1000,
        runParent: () => ({ output: null, childrenTasks: [{ task: child, input: undefined }] }),
        finalizeTask: badFinalize,
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
        'finalize_task_failed',
      );
      expect(execution.finalizeTaskError).toMatchObject({
        errorType: 'generic',
        message: 'finalize broke',
        isRetryable: false,
      });
      expect(execution.error).toBeDefined();
      expect(finalizeRuns).toBe(1);
    });

    it('does not run the finalize task when a child fails', async () => {
      const executor = engine.createExecutor();
      let finalizeRuns = 0;
      const failing = executor.task({
        id: 'failing_before_finalize',
        timeoutMs: 1000,
        run: () => {
          throw new DurableExecutionError('child broke', false);
        },
      });
      const finalize = executor.task({
        id: 'skipped_finalize',
        timeoutMs: 1000,
        run: (_ctx, _input: FinalizeTaskInput<undefined, null>) => (finalizeRuns += 1),
      });
      const parent = executor.parentTask({
        id: 'parent_failing_child_finalize',
        timeoutMs: 1000,
        runParent: () => ({ output: null, childrenTasks: [{ task: failing, input: undefined }] }),
        finalizeTask: finalize,
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
        'children_tasks_failed',
      );
      expect(execution.finalizeTask).toBeUndefined();
      expect(finalizeRuns).toBe(0);
    });
  });
}
