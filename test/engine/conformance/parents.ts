/** Parent tasks: children in parallel, outputs by index, tree positions, failing children. */
import { describe, expect, it } from 'vitest';
import { DurableExecutionError } from '@/server/engine';
import { createLatch, delay, waitFor } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeParents(factory: EngineStoreFactory): void {
  describe('parent tasks', () => {
    const engine = useEngineHarness(factory);

    it('outputs the children outputs sorted by index, whatever order they finish in', async () => {
      const executor = engine.createExecutor();
      const square = executor.task({
        id: 'square',
        timeoutMs: 1000,
        run: async (_ctx, n: number) => {
          await delay(40 - n * 10); // the last child finishes first
          return n * n;
        },
      });
      const fanOut = executor.parentTask({
        id: 'fan_out',
        timeoutMs: 1000,
        runParent: (_ctx, ns: number[]) => ({
          output: `squares of ${ns.length}`,
          childrenTasks: ns.map((n) => ({ task: square, input: n })),
        }),
      });
      executor.start();

      const handle = await executor.enqueueTask(fanOut, [1, 2, 3]);
      const execution = expectCompleted(await waitFinished(handle));
      const childIds = (execution.childrenTasks ?? []).map((child) => child.executionId);
      expect(execution.childrenTasks?.map((child) => child.taskId)).toEqual([
        'square',
        'square',
        'square',
      ]);
      expect(execution.output).toEqual({
        output: 'squares of 3',
        childrenTasksOutputs: [
          { index: 0, taskId: 'square', executionId: childIds[0], output: 1 },
          { index: 1, taskId: 'square', executionId: childIds[1], output: 4 },
          { index: 2, taskId: 'square', executionId: childIds[2], output: 9 },
        ],
      });
      expect(execution.runOutput).toBe('squares of 3');

      const parentId = handle.getTaskExecutionId();
      for (const [index, childId] of childIds.entries()) {
        const child = await (await executor.getTaskHandle(square, childId)).getTaskExecution();
        expect(child.status).toBe('completed');
        expect(child.parentTask).toEqual({
          taskId: 'fan_out',
          executionId: parentId,
          index,
          isFinalizeTask: false,
        });
        expect(child.rootTask).toEqual({ taskId: 'fan_out', executionId: parentId });
      }
    });

    it('completes a parent without children with an empty outputs list', async () => {
      const executor = engine.createExecutor();
      const lonely = executor.parentTask({
        id: 'no_children',
        timeoutMs: 1000,
        runParent: (_ctx, input: string) => ({ output: input.toUpperCase() }),
      });
      executor.start();

      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(lonely, 'x')),
      );
      expect(execution.output).toEqual({ output: 'X', childrenTasksOutputs: [] });
    });

    it('runs children in parallel', async () => {
      const executor = engine.createExecutor();
      const allStarted = createLatch(3);
      const together = executor.task({
        id: 'together',
        timeoutMs: 2000,
        run: async (_ctx, n: number) => {
          allStarted.countDown();
          await allStarted.promise; // only resolves if all three run at once
          return n;
        },
      });
      const parent = executor.parentTask({
        id: 'parallel_parent',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [0, 1, 2].map((n) => ({ task: together, input: n })),
        }),
      });
      executor.start();

      const execution = await waitFinished(await executor.enqueueTask(parent, undefined));
      expect(expectCompleted(execution).output.childrenTasksOutputs.map((c) => c.output)).toEqual([
        0, 1, 2,
      ]);
    });

    it('applies the options given with each child', async () => {
      const executor = engine.createExecutor();
      const attempts: number[] = [];
      const flakyChild = executor.task({
        id: 'flaky_child',
        timeoutMs: 1000,
        run: (ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt === 0) throw new Error('first attempt fails');
          return 'ok';
        },
      });
      const parent = executor.parentTask({
        id: 'parent_with_child_options',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [
            { task: flakyChild, input: undefined, options: { retryOptions: { maxAttempts: 1 } } },
          ],
        }),
      });
      executor.start();

      expectCompleted(await waitFinished(await executor.enqueueTask(parent, undefined)));
      expect(attempts).toEqual([0, 1]);
    });

    it('fails a parent whose own run fails', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const parent = executor.parentTask({
        id: 'broken_parent',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 2 },
        runParent: () => {
          runs += 1;
          throw new DurableExecutionError('parent broke', false);
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
        'failed',
      );
      expect(execution.error.message).toBe('parent broke');
      expect(execution.childrenTasks ?? []).toEqual([]);
      expect(runs).toBe(1);
    });

    it('moves the parent to children_tasks_failed when one child fails', async () => {
      const executor = engine.createExecutor();
      const maybeFail = executor.task({
        id: 'maybe_fail',
        timeoutMs: 1000,
        run: (_ctx, n: number) => {
          if (n === 1) throw new DurableExecutionError(`child ${n} failed`, false);
          return n;
        },
      });
      const parent = executor.parentTask({
        id: 'one_bad_child',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [0, 1, 2].map((n) => ({ task: maybeFail, input: n })),
        }),
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
        'children_tasks_failed',
      );
      const failedChildId = execution.childrenTasks?.[1]?.executionId;
      expect(execution.childrenTasksErrors).toHaveLength(1);
      expect(execution.childrenTasksErrors?.[0]).toMatchObject({
        index: 1,
        taskId: 'maybe_fail',
        executionId: failedChildId,
        error: { errorType: 'generic', message: 'child 1 failed', isRetryable: false },
      });
      expect(execution.finishedAt).toBeInstanceOf(Date);
    });

    it('records every failed child when two children fail together', async () => {
      const executor = engine.createExecutor();
      const bothStarted = createLatch(2);
      const child = executor.task({
        id: 'fail_together',
        timeoutMs: 1000,
        run: async (_ctx, n: number) => {
          if (n === 1) return n;
          bothStarted.countDown();
          await bothStarted.promise;
          throw new DurableExecutionError(`child ${n} failed`, false);
        },
      });
      const parent = executor.parentTask({
        id: 'two_bad_children',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [0, 1, 2].map((n) => ({ task: child, input: n })),
        }),
      });
      executor.start();

      const handle = await executor.enqueueTask(parent, undefined);
      expectFinishedWith(await waitFinished(handle), 'children_tasks_failed');
      // The second failure is added when that child is closed, just after the parent finished.
      await waitFor(
        async () => ((await handle.getTaskExecution()).childrenTasksErrors?.length ?? 0) >= 2,
        { message: 'both children errors on the parent' },
      );
      const execution = await handle.getTaskExecution();
      expect(execution.status).toBe('children_tasks_failed');
      expect(execution.childrenTasksErrors?.map((e) => [e.index, e.error.message])).toEqual([
        [0, 'child 0 failed'],
        [2, 'child 2 failed'],
      ]);
    });
  });
}
