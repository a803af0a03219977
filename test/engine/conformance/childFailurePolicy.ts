/**
 * The children-failure policy of a parent task: `'failParent'` (the default, the reference's
 * behaviour) fails the parent at its first failed child and cancels the others; `'continue'`
 * lets every child finish, then runs the finalize task (or completes the parent) with each
 * child's outcome. Exactly once under several executors.
 */
import { describe, expect, it } from 'vitest';
import { DurableExecutionError, DurableOptionsError, type ChildTaskOutcome } from '@/server/engine';
import { createDeferred, delay } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

type Plan = { fail?: boolean; retryable?: boolean; ms?: number; hang?: boolean };

export function describeChildFailurePolicy(factory: EngineStoreFactory): void {
  describe('children-failure policy', () => {
    const engine = useEngineHarness(factory);

    /** A child task that sleeps `ms`, then fails or returns its index, as planned. */
    function defineChild(executor: ReturnType<typeof engine.createExecutor>, id = 'policy_child') {
      return executor.task({
        id,
        timeoutMs: 2000,
        run: async (ctx, input: { index: number } & Plan) => {
          if (input.hang) {
            await new Promise((resolve) => ctx.cancelSignal.onCancelled(() => resolve(null)));
            return -1;
          }
          await delay(input.ms ?? 0);
          if (input.fail) {
            throw new DurableExecutionError(
              `child ${input.index} failed`,
              input.retryable ?? false,
            );
          }
          return input.index;
        },
      });
    }

    it("'continue' runs the finalize with every child's outcome, by status", async () => {
      const executor = engine.createExecutor();
      const child = defineChild(executor);
      const parent = executor.parentTask({
        id: 'policy_continue',
        timeoutMs: 2000,
        onChildFailure: 'continue',
        runParent: (_ctx, plans: Plan[]) => ({
          output: plans.length,
          childrenTasks: plans.map((plan, index) => ({ task: child, input: { index, ...plan } })),
        }),
        finalizeTask: {
          id: 'policy_continue_summary',
          timeoutMs: 1000,
          run: (_ctx, { output, childrenTasksOutputs }) => ({
            total: output,
            ok: childrenTasksOutputs.filter((entry) => entry.status === 'completed').length,
            entries: childrenTasksOutputs,
          }),
        },
      });
      executor.start();
      // The failing child finishes first: the others still run to completion.
      const handle = await executor.enqueueTask(parent, [{ ms: 60 }, { fail: true }, { ms: 30 }]);
      const execution = expectCompleted(await waitFinished(handle));
      expect(execution.output.total).toBe(3);
      expect(execution.output.ok).toBe(2);
      const ids = (execution.childrenTasks ?? []).map((c) => c.executionId);
      expect(execution.output.entries).toMatchObject([
        { index: 0, taskId: 'policy_child', executionId: ids[0], status: 'completed', output: 0 },
        {
          index: 1,
          taskId: 'policy_child',
          executionId: ids[1],
          status: 'failed',
          error: { message: 'child 1 failed', isRetryable: false },
        },
        { index: 2, taskId: 'policy_child', executionId: ids[2], status: 'completed', output: 2 },
      ]);
      expect(execution.output.entries[1]).not.toHaveProperty('output');
      expect(execution.output.entries[0]).not.toHaveProperty('error');
      // No sibling was cancelled, and the parent records no children errors.
      expect(execution.childrenTasksErrors).toBeUndefined();
    });

    it("'continue' without a finalize completes the parent with the outcomes", async () => {
      const executor = engine.createExecutor();
      const child = defineChild(executor);
      const parent = executor.parentTask({
        id: 'policy_continue_plain',
        timeoutMs: 2000,
        onChildFailure: 'continue',
        runParent: () => ({
          output: 'ran',
          childrenTasks: [
            { task: child, input: { index: 0, fail: true } },
            { task: child, input: { index: 1, fail: true } },
          ],
        }),
      });
      executor.start();
      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
      );
      expect(execution.output.output).toBe('ran');
      const statuses = execution.output.childrenTasksOutputs.map(
        (entry: ChildTaskOutcome) => entry.status,
      );
      expect(statuses).toEqual(['failed', 'failed']);
    });

    it("'continue' counts a child cancelled on its own as one outcome", async () => {
      const executor = engine.createExecutor();
      const child = defineChild(executor);
      const started = createDeferred();
      const starter = executor.task({
        id: 'policy_starter',
        timeoutMs: 2000,
        run: async (ctx) => {
          started.resolve();
          await new Promise((resolve) => ctx.cancelSignal.onCancelled(() => resolve(null)));
        },
      });
      const parent = executor.parentTask({
        id: 'policy_continue_cancel',
        timeoutMs: 2000,
        onChildFailure: 'continue',
        runParent: () => ({
          output: null,
          childrenTasks: [
            { task: starter, input: undefined },
            { task: child, input: { index: 1 } },
          ],
        }),
      });
      executor.start();
      const handle = await executor.enqueueTask(parent, undefined);
      await started.promise;
      const [running] = (await handle.getTaskExecution()).childrenTasks ?? [];
      await (await executor.getTaskHandle(starter, running!.executionId)).cancel();
      const execution = expectCompleted(await waitFinished(handle));
      expect(
        execution.output.childrenTasksOutputs.map((entry: ChildTaskOutcome) => entry.status),
      ).toEqual(['cancelled', 'completed']);
    });

    it("'failParent' (the default) fails at the first failure and cancels the rest", async () => {
      const executor = engine.createExecutor();
      const child = defineChild(executor);
      const parent = executor.parentTask({
        id: 'policy_fail',
        timeoutMs: 2000,
        runParent: () => ({
          output: null,
          childrenTasks: [
            { task: child, input: { index: 0, hang: true } },
            { task: child, input: { index: 1, fail: true } },
          ],
        }),
        finalizeTask: { id: 'policy_fail_final', timeoutMs: 1000, run: () => 'never' },
      });
      executor.start();
      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
        'children_tasks_failed',
      );
      expect(execution.childrenTasksErrors?.map((e) => e.index)).toEqual([1]);
      const [hung] = execution.childrenTasks ?? [];
      // The parent's close cancels it, right after the parent finished.
      const sibling = await waitFinished(await executor.getTaskHandle(child, hung!.executionId));
      expect(sibling.status).toBe('cancelled');
    });

    it("'continue' still retries a child before counting its failure", async () => {
      const executor = engine.createExecutor();
      let attempts = 0;
      const flaky = executor.task({
        id: 'policy_flaky',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 2 },
        run: () => {
          attempts += 1;
          throw new Error('always');
        },
      });
      const parent = executor.parentTask({
        id: 'policy_continue_retry',
        timeoutMs: 1000,
        onChildFailure: 'continue',
        runParent: () => ({ output: null, childrenTasks: [{ task: flaky, input: undefined }] }),
      });
      executor.start();
      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
      );
      expect(attempts).toBe(3);
      expect(execution.output.childrenTasksOutputs[0]).toMatchObject({
        status: 'failed',
        error: { message: 'always' },
      });
    });

    it('refuses an unknown policy, naming the task', () => {
      const executor = engine.createExecutor();
      expect(() =>
        executor.parentTask({
          id: 'policy_bad',
          timeoutMs: 1000,
          onChildFailure: 'ignore' as 'continue',
          runParent: () => ({ output: null }),
        }),
      ).toThrow(DurableOptionsError);
      expect(() =>
        executor.parentTask({
          id: 'policy_bad',
          timeoutMs: 1000,
          onChildFailure: 'ignore' as 'continue',
          runParent: () => ({ output: null }),
        }),
      ).toThrow(`Invalid onChildFailure "ignore" of task policy_bad`);
    });

    it("'continue' advances exactly once under several executors", async () => {
      const finalizeRuns: string[] = [];
      const executors = [0, 1, 2].map(() => engine.createExecutor());
      const parents = executors.map((executor) => {
        const child = defineChild(executor);
        return executor.parentTask({
          id: 'policy_many',
          timeoutMs: 5000,
          onChildFailure: 'continue',
          runParent: (_ctx, n: number) => ({
            output: n,
            childrenTasks: Array.from({ length: 12 }, (_, index) => ({
              task: child,
              input: { index, fail: index % 3 === 0, ms: index % 4 },
            })),
          }),
          finalizeTask: {
            id: 'policy_many_final',
            timeoutMs: 1000,
            run: (ctx, { childrenTasksOutputs }) => {
              finalizeRuns.push(ctx.executionId);
              return childrenTasksOutputs.map((entry) => entry.status);
            },
          },
        });
      });
      for (const executor of executors) executor.start();
      const handles = await Promise.all(
        Array.from({ length: 8 }, (_, n) => executors[n % 3]!.enqueueTask(parents[n % 3]!, n)),
      );
      for (const handle of handles) {
        const execution = expectCompleted(await waitFinished(handle));
        expect(execution.output.filter((s) => s === 'failed')).toHaveLength(4);
        expect(execution.output).toHaveLength(12);
      }
      expect(finalizeRuns).toHaveLength(8);
      expect(new Set(finalizeRuns).size).toBe(8);
    });
  });
}
