/** Cancellation across trees: children, finalize tasks and grandchildren follow their parent. */
import { describe, expect, it } from 'vitest';
import { DurableExecutionError } from '@/server/engine';
import type { DurableExecutor, DurableTask } from '@/server/engine';
import { aborted, createDeferred, never, waitFor } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

/** A task whose run waits for its cancel signal, counting starts and signals. */
function defineCancellable(executor: DurableExecutor, id: string) {
  const stats = { started: 0, signalled: 0 };
  const task = executor.task({
    id,
    timeoutMs: 5000,
    run: async (ctx, _input: unknown) => {
      stats.started += 1;
      await aborted(ctx.cancelSignal.abortSignal);
      stats.signalled += 1;
      return never();
    },
  });
  return { task, stats };
}

async function statusesOf(
  executor: DurableExecutor,
  task: DurableTask<unknown, unknown>,
  ids: string[],
): Promise<string[]> {
  return Promise.all(
    ids.map(
      async (id) => (await (await executor.getTaskHandle(task, id)).getTaskExecution()).status,
    ),
  );
}

export function describeCascadeCancel(factory: EngineStoreFactory): void {
  describe('cascade cancel', () => {
    const engine = useEngineHarness(factory);

    it('cancels running children when their parent is cancelled, aborting their code', async () => {
      const executor = engine.createExecutor();
      const { task: child, stats } = defineCancellable(executor, 'cancellable_child');
      const parent = executor.parentTask({
        id: 'parent_to_cancel',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [0, 1, 2].map((n) => ({ task: child, input: n })),
        }),
      });
      executor.start();

      const handle = await executor.enqueueTask(parent, undefined);
      await waitFor(() => stats.started === 3, { message: 'three children running' });
      await handle.cancel();

      const execution = expectFinishedWith(await waitFinished(handle), 'cancelled');
      const childIds = (execution.childrenTasks ?? []).map((c) => c.executionId);
      expect(childIds).toHaveLength(3);
      await waitFor(() => stats.signalled === 3, { message: 'three cancel signals' });
      expect(await statusesOf(executor, child, childIds)).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
      ]);
    });

    it('cancels children that have not started yet', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const later = executor.task({ id: 'later_child', timeoutMs: 1000, run: () => (runs += 1) });
      const parent = executor.parentTask({
        id: 'parent_of_sleepers',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [0, 1].map(() => ({
            task: later,
            input: undefined,
            options: { sleepMsBeforeRun: 60_000 },
          })),
        }),
      });
      executor.start();

      const handle = await executor.enqueueTask(parent, undefined);
      await waitFor(
        async () => (await handle.getTaskExecution()).status === 'waiting_for_children_tasks',
        { message: 'the parent to wait for its children' },
      );
      await handle.cancel();
      const execution = expectFinishedWith(await waitFinished(handle), 'cancelled');
      const childIds = (execution.childrenTasks ?? []).map((c) => c.executionId);
      expect(await statusesOf(executor, later, childIds)).toEqual(['cancelled', 'cancelled']);
      expect(runs).toBe(0);
    });

    it('cancels a running finalize task when its parent is cancelled', async () => {
      const executor = engine.createExecutor();
      const { task: finalize, stats } = defineCancellable(executor, 'cancellable_finalize');
      const parent = executor.parentTask({
        id: 'parent_in_finalize',
        timeoutMs: 1000,
        runParent: () => ({ output: 'x' }),
        finalizeTask: finalize,
      });
      executor.start();

      const handle = await executor.enqueueTask(parent, undefined);
      await waitFor(() => stats.started === 1, { message: 'the finalize task running' });
      await handle.cancel();

      const execution = expectFinishedWith(await waitFinished(handle), 'cancelled');
      const finalizeId = execution.finalizeTask?.executionId ?? '';
      await waitFor(() => stats.signalled === 1, { message: 'the finalize cancel signal' });
      expect(await statusesOf(executor, finalize, [finalizeId])).toEqual(['cancelled']);
    });

    it('cancels running siblings when a child fails', async () => {
      const executor = engine.createExecutor();
      const { task: sibling, stats } = defineCancellable(executor, 'doomed_sibling');
      const failing = executor.task({
        id: 'failing_child',
        timeoutMs: 1000,
        run: async () => {
          await waitFor(() => stats.started === 2);
          throw new DurableExecutionError('sibling failure', false);
        },
      });
      const parent = executor.parentTask({
        id: 'parent_failing_sibling',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [
            { task: sibling, input: 0 },
            { task: failing, input: undefined },
            { task: sibling, input: 2 },
          ],
        }),
      });
      executor.start();

      const handle = await executor.enqueueTask(parent, undefined);
      const execution = expectFinishedWith(await waitFinished(handle), 'children_tasks_failed');
      expect(execution.childrenTasksErrors?.map((e) => e.index)).toEqual([1]);
      await waitFor(() => stats.signalled === 2, { message: 'siblings cancel signals' });
      const siblingIds = [0, 2].map((i) => execution.childrenTasks?.[i]?.executionId ?? '');
      await waitFor(
        async () =>
          (await statusesOf(executor, sibling, siblingIds)).every((s) => s === 'cancelled'),
        { message: 'siblings cancelled' },
      );
    });

    it('cancels every active descendant of a cancelled root', async () => {
      const executor = engine.createExecutor();
      const { task: leaf, stats } = defineCancellable(executor, 'deep_leaf');
      const middle = executor.parentTask({
        id: 'middle',
        timeoutMs: 1000,
        runParent: () => ({ output: null, childrenTasks: [{ task: leaf, input: undefined }] }),
      });
      const root = executor.parentTask({
        id: 'cancelled_root',
        timeoutMs: 1000,
        runParent: () => ({ output: null, childrenTasks: [{ task: middle, input: undefined }] }),
      });
      executor.start();

      const handle = await executor.enqueueTask(root, undefined);
      await waitFor(() => stats.started === 1, { message: 'the leaf running' });
      await handle.cancel();

      const execution = expectFinishedWith(await waitFinished(handle), 'cancelled');
      const middleId = execution.childrenTasks?.[0]?.executionId ?? '';
      const middleExecution = await (
        await executor.getTaskHandle(middle, middleId)
      ).getTaskExecution();
      expect(middleExecution.status).toBe('cancelled');
      const leafId = middleExecution.childrenTasks?.[0]?.executionId ?? '';
      expect(await statusesOf(executor, leaf, [leafId])).toEqual(['cancelled']);
      await waitFor(() => stats.signalled === 1, { message: 'the leaf cancel signal' });
    });

    it('fails the parent when one of its children is cancelled directly', async () => {
      const executor = engine.createExecutor();
      const { task: child, stats } = defineCancellable(executor, 'directly_cancelled');
      const parent = executor.parentTask({
        id: 'parent_of_cancelled',
        timeoutMs: 1000,
        runParent: () => ({ output: null, childrenTasks: [{ task: child, input: undefined }] }),
      });
      executor.start();

      const handle = await executor.enqueueTask(parent, undefined);
      await waitFor(() => stats.started === 1, { message: 'the child running' });
      const running = await handle.getTaskExecution();
      const childId = running.childrenTasks?.[0]?.executionId ?? '';
      await (await executor.getTaskHandle(child, childId)).cancel();

      const execution = expectFinishedWith(await waitFinished(handle), 'children_tasks_failed');
      expect(execution.childrenTasksErrors).toHaveLength(1);
      expect(execution.childrenTasksErrors?.[0]?.error.errorType).toBe('cancelled');
    });

    it('creates no children for a parent cancelled while its run was going', async () => {
      const executor = engine.createExecutor();
      const started = createDeferred();
      const release = createDeferred();
      const returned = createDeferred();
      let childRuns = 0;
      const child = executor.task({ id: 'orphan', timeoutMs: 1000, run: () => (childRuns += 1) });
      const parent = executor.parentTask({
        id: 'cancelled_mid_run',
        timeoutMs: 5000,
        runParent: async () => {
          started.resolve();
          await release.promise;
          returned.resolve();
          return { output: null, childrenTasks: [{ task: child, input: undefined }] };
        },
      });
      const marker = executor.task({ id: 'orphan_marker', timeoutMs: 1000, run: () => 1 });
      executor.start();

      const handle = await executor.enqueueTask(parent, undefined);
      await started.promise;
      await handle.cancel();
      release.resolve();
      await returned.promise;
      expectCompleted(await waitFinished(await executor.enqueueTask(marker, undefined)));

      const execution = expectFinishedWith(await waitFinished(handle), 'cancelled');
      expect(execution.childrenTasks ?? []).toEqual([]);
      expect(childRuns).toBe(0);
    });
  });
}
