/**
 * Sleeping tasks: an execution that waits (`waiting_for_event`) for a wakeup by unique id, or
 * its timeout. Wakeups before and after the enqueue, twice, racing, from another executor,
 * after the timeout; inside trees with both children-failure policies; with cancel.
 */
import { describe, expect, it } from 'vitest';
import {
  DurableOptionsError,
  DurableWakeupRefusedError,
  type ChildTaskOutcome,
} from '@/server/engine';
import superjson from 'superjson';
import { rejectionOf, waitFor } from '../helpers';
import { storedRootRow } from '../serializationHelpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeSleepingTasks(factory: EngineStoreFactory): void {
  describe('sleeping tasks', () => {
    const engine = useEngineHarness(factory);

    function setup(options: { timeoutMs?: number } = {}) {
      const executor = engine.createExecutor();
      const approval = executor.sleepingTask<{ approved: boolean; by: string }>({
        id: 'approval',
        timeoutMs: options.timeoutMs ?? 60_000,
      });
      executor.start();
      return { executor, approval };
    }

    it('waits in waiting_for_event, runs no code, and completes with the wakeup output', async () => {
      const { executor, approval } = setup();
      const handle = await executor.enqueueTask(approval, 'order-1');
      const waiting = await handle.getTaskExecution();
      expect(waiting.status).toBe('waiting_for_event');
      expect(waiting.runInput).toBe('order-1');
      expect(waiting.startedAt).toBeUndefined();
      expect(waiting.expiresAt!.getTime()).toBe(waiting.createdAt.getTime() + 60_000);
      const result = await executor.wakeupSleepingTaskExecution(approval, 'order-1', {
        status: 'completed',
        output: { approved: true, by: 'ada' },
      });
      expect(result.kind).toBe('applied');
      const finished = expectCompleted(await waitFinished(handle));
      expect(finished.output).toEqual({ approved: true, by: 'ada' });
      expect(result.kind === 'applied' && result.execution.executionId).toBe(
        handle.getTaskExecutionId(),
      );
    });

    it('fails with the wakeup error, never retried', async () => {
      const { executor, approval } = setup();
      const handle = await executor.enqueueTask(approval, 'order-2');
      await executor.wakeupSleepingTaskExecution(approval, 'order-2', {
        status: 'failed',
        error: new Error('rejected by bob'),
      });
      const failed = expectFinishedWith(await waitFinished(handle), 'failed');
      expect(failed.error.message).toBe('rejected by bob');
      expect(failed.error.isRetryable).toBe(false);
    });

    it('keeps a wakeup sent before the execution exists and applies it at enqueue', async () => {
      const { executor, approval } = setup();
      const early = await executor.wakeupSleepingTaskExecution(approval, 'early', {
        status: 'completed',
        output: { approved: false, by: 'eve' },
      });
      expect(early.kind).toBe('kept');
      const handle = await executor.enqueueTask(approval, 'early');
      const finished = expectCompleted(await waitFinished(handle));
      expect(finished.output).toEqual({ approved: false, by: 'eve' });
    });

    it('a second wakeup is a no-op that returns the first outcome', async () => {
      const { executor, approval } = setup();
      const handle = await executor.enqueueTask(approval, 'twice');
      await executor.wakeupSleepingTaskExecution(approval, 'twice', {
        status: 'completed',
        output: { approved: true, by: 'first' },
      });
      const second = await executor.wakeupSleepingTaskExecution(approval, 'twice', {
        status: 'failed',
        error: 'second',
      });
      expect(second).toEqual({
        kind: 'duplicate',
        outcome: { status: 'completed', output: { approved: true, by: 'first' } },
        executionId: handle.getTaskExecutionId(),
      });
      expect(expectCompleted(await waitFinished(handle)).output.by).toBe('first');
    });

    it('concurrent wakeups and enqueue: exactly one outcome wins', async () => {
      const { executor, approval } = setup();
      const wakeups = Array.from({ length: 6 }, (_, index) =>
        executor.wakeupSleepingTaskExecution(approval, 'race', {
          status: 'completed',
          output: { approved: true, by: `w${index}` },
        }),
      );
      const [handle, ...results] = await Promise.all([
        executor.enqueueTask(approval, 'race'),
        ...wakeups,
      ]);
      const finished = expectCompleted(await waitFinished(handle));
      const winners = results.filter((result) => result.kind !== 'duplicate');
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (result.kind === 'duplicate' && result.outcome.status === 'completed') {
          expect(result.outcome.output.by).toBe(finished.output.by);
        }
      }
    });

    it('times out as timed_out; a later wakeup is refused with a clear error', async () => {
      const { executor, approval } = setup({ timeoutMs: 150 });
      const handle = await executor.enqueueTask(approval, 'late');
      const timedOut = expectFinishedWith(await waitFinished(handle), 'timed_out');
      expect(timedOut.error.errorType).toBe('timed_out');
      const refused = await rejectionOf(
        executor.wakeupSleepingTaskExecution(approval, 'late', {
          status: 'completed',
          output: { approved: true, by: 'too late' },
        }),
      );
      expect(refused).toBeInstanceOf(DurableWakeupRefusedError);
      expect((refused as Error).message).toMatch(/already finished as timed_out/);
      expect((await handle.getTaskExecution()).status).toBe('timed_out');
    });

    it('is woken by another executor on the same store', async () => {
      const { executor, approval } = setup();
      const other = engine.createExecutor();
      const otherApproval = other.sleepingTask<{ approved: boolean; by: string }>({
        id: 'approval',
        timeoutMs: 60_000,
      });
      const handle = await executor.enqueueTask(approval, 'elsewhere');
      await other.wakeupSleepingTaskExecution(otherApproval, 'elsewhere', {
        status: 'completed',
        output: { approved: true, by: 'other' },
      });
      expect(expectCompleted(await waitFinished(handle)).output.by).toBe('other');
    });

    it('as a child makes the parent wait, then completes it', async () => {
      const { executor, approval } = setup();
      const flow = executor.parentTask({
        id: 'approval_flow',
        timeoutMs: 5000,
        runParent: (_ctx, orderId: string) => ({
          output: orderId,
          childrenTasks: [{ task: approval, input: `approve-${orderId}` }],
        }),
      });
      const handle = await executor.enqueueTask(flow, 'o7');
      await waitForChildWaiting(executor, handle.getTaskExecutionId());
      expect((await handle.getTaskExecution()).status).toBe('waiting_for_children_tasks');
      await executor.wakeupSleepingTaskExecution(approval, 'approve-o7', {
        status: 'completed',
        output: { approved: true, by: 'ada' },
      });
      const finished = expectCompleted(await waitFinished(handle));
      expect(finished.output.childrenTasksOutputs[0]!.output).toEqual({
        approved: true,
        by: 'ada',
      });
    });

    it("a failed wakeup fails a 'failParent' parent", async () => {
      const { executor, approval } = setup();
      const flow = executor.parentTask({
        id: 'approval_strict',
        timeoutMs: 5000,
        runParent: () => ({
          output: null,
          childrenTasks: [{ task: approval, input: 'strict-1' }],
        }),
      });
      const handle = await executor.enqueueTask(flow, undefined);
      await waitForChildWaiting(executor, handle.getTaskExecutionId());
      await executor.wakeupSleepingTaskExecution(approval, 'strict-1', {
        status: 'failed',
        error: 'no',
      });
      const failed = expectFinishedWith(await waitFinished(handle), 'children_tasks_failed');
      expect(failed.childrenTasksErrors![0]!.error.message).toBe('no');
    });

    it("'continue' hands a timed-out approval on as an outcome", async () => {
      const { executor, approval } = setup({ timeoutMs: 100 });
      const flow = executor.parentTask({
        id: 'approval_lenient',
        timeoutMs: 5000,
        onChildFailure: 'continue',
        runParent: () => ({
          output: null,
          childrenTasks: [
            { task: approval, input: 'lenient-a' },
            { task: approval, input: 'lenient-b' },
          ],
        }),
        finalizeTask: {
          id: 'approval_lenient_summary',
          timeoutMs: 1000,
          run: (_ctx, { childrenTasksOutputs }) =>
            childrenTasksOutputs.map((child: ChildTaskOutcome) => child.status),
        },
      });
      const early = await executor.wakeupSleepingTaskExecution(approval, 'lenient-a', {
        status: 'completed',
        output: { approved: true, by: 'ada' },
      });
      expect(early.kind).toBe('kept');
      const handle = await executor.enqueueTask(flow, undefined);
      expect(expectCompleted(await waitFinished(handle)).output).toEqual([
        'completed',
        'timed_out',
      ]);
    });

    it('cancelling the parent cancels the waiting child; a wakeup then is refused', async () => {
      const { executor, approval } = setup();
      const flow = executor.parentTask({
        id: 'approval_cancel',
        timeoutMs: 5000,
        runParent: () => ({
          output: null,
          childrenTasks: [{ task: approval, input: 'cancel-1' }],
        }),
      });
      const handle = await executor.enqueueTask(flow, undefined);
      const child = await waitForChildWaiting(executor, handle.getTaskExecutionId());
      await handle.cancel();
      expectFinishedWith(await waitFinished(handle), 'cancelled');
      await waitFor(async () => (await executor.getExecution(child))?.status === 'cancelled', {
        message: 'the child to be cancelled',
      });
      const refused = await rejectionOf(
        executor.wakeupSleepingTaskExecution(approval, 'cancel-1', {
          status: 'completed',
          output: { approved: true, by: 'late' },
        }),
      );
      expect(refused).toBeInstanceOf(DurableWakeupRefusedError);
    });

    it('a second execution waiting on the same id fails at once', async () => {
      const { executor, approval } = setup();
      const first = await executor.enqueueTask(approval, 'dup');
      const second = await executor.enqueueTask(approval, 'dup');
      const failed = expectFinishedWith(await waitFinished(second), 'failed');
      expect(failed.error.message).toContain(first.getTaskExecutionId());
      expect((await first.getTaskExecution()).status).toBe('waiting_for_event');
    });

    it('a sleeping row left unregistered (a crash after its insert) gets its early wakeup from the backstop', async () => {
      const { executor } = setup();
      const kept = await engine.storage.wakeupSleepingExecution({
        taskId: 'approval',
        uniqueId: 'crashed',
        outcome: { status: 'completed', output: superjson.stringify({ approved: true, by: 'x' }) },
        now: Date.now(),
        ttlMs: 60_000,
      });
      expect(kept.kind).toBe('kept');
      // Inserted as an enqueuer would, but the process died before registering it.
      const row = {
        ...storedRootRow('approval', superjson.stringify('crashed')),
        timeoutMs: 60_000,
        waitsForEvent: true,
      };
      await engine.storage.insertExecutions([row]);
      expect((await engine.storage.getExecution(row.executionId))?.status).toBe(
        'waiting_for_event',
      );
      await waitFor(
        async () => (await executor.getExecution(row.executionId))?.status === 'completed',
        { message: 'the backstop to apply the kept wakeup' },
      );
      expect((await executor.getExecution(row.executionId))?.output).toEqual({
        approved: true,
        by: 'x',
      });
    });

    it('validates the unique id and the wakeup', async () => {
      const { executor, approval } = setup();
      const plain = executor.task({ id: 'not_sleeping', timeoutMs: 100, run: () => 1 });
      expect(await rejectionOf(executor.enqueueTask(approval, ''))).toBeInstanceOf(Error);
      expect(await rejectionOf(executor.enqueueTask(approval, 'x'.repeat(256)))).toBeInstanceOf(
        Error,
      );
      expect(
        await rejectionOf(
          executor.wakeupSleepingTaskExecutionById(plain.id, 'a', {
            status: 'completed',
            output: 1,
          }),
        ),
      ).toBeInstanceOf(DurableOptionsError);
      expect(
        await rejectionOf(
          executor.wakeupSleepingTaskExecution(approval, '', {
            status: 'completed',
            output: { approved: true, by: '' },
          }),
        ),
      ).toBeInstanceOf(DurableOptionsError);
    });
  });
}

async function waitForChildWaiting(
  executor: { getExecutionTree(id: string): Promise<{ executionId: string; status: string }[]> },
  parentId: string,
): Promise<string> {
  let childId = '';
  await waitFor(
    async () => {
      const tree = await executor.getExecutionTree(parentId);
      const child = tree.find((row) => row.status === 'waiting_for_event');
      childId = child?.executionId ?? '';
      return child !== undefined;
    },
    { message: 'the sleeping child' },
  );
  return childId;
}
