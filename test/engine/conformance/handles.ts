/** Handles: looking executions up, and waits that can be aborted without touching the run. */
import { describe, expect, it, vi } from 'vitest';
import {
  createCancelSignal,
  DurableExecutionCancelledError,
  DurableExecutionNotFoundError,
} from '@/server/engine';
import { createDeferred, rejectionOf } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeHandles(factory: EngineStoreFactory): void {
  describe('task handles', () => {
    const engine = useEngineHarness(factory);

    it('finds an execution again by task and execution id', async () => {
      const executor = engine.createExecutor();
      const found = executor.task({ id: 'findable', timeoutMs: 1000, run: () => 'found' });
      executor.start();
      const handle = await executor.enqueueTask(found, undefined);
      expectCompleted(await waitFinished(handle));

      const again = await executor.getTaskHandle(found, handle.getTaskExecutionId());
      expect(again.getTaskId()).toBe('findable');
      expect(again.getTaskExecutionId()).toBe(handle.getTaskExecutionId());
      expect(expectCompleted(await waitFinished(again)).output).toBe('found');
    });

    it('rejects a handle for a task this executor does not know, before any read', async () => {
      const enqueuer = engine.createExecutor();
      const stranger = engine.createExecutor();
      const task = enqueuer.task({ id: 'known_here', timeoutMs: 1000, run: () => 1 });
      const handle = await enqueuer.enqueueTask(task, undefined);
      const read = vi.spyOn(engine.storage, 'getExecution');
      const reads = vi.spyOn(engine.storage, 'getExecutions');
      try {
        for (const executionId of [handle.getTaskExecutionId(), 'te_000000000000000000000000']) {
          const error = await rejectionOf(stranger.getTaskHandle(task, executionId));
          expect(error).toBeInstanceOf(DurableExecutionNotFoundError);
          expect((error as Error).message).toBe('Task known_here not found');
          expect((error as DurableExecutionNotFoundError).isRetryable).toBe(false);
        }
        expect(read).not.toHaveBeenCalled();
        expect(reads).not.toHaveBeenCalled();
      } finally {
        read.mockRestore();
        reads.mockRestore();
      }
    });

    it('rejects a handle for an unknown execution id', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({ id: 'lookup', timeoutMs: 1000, run: () => 1 });
      await expect(executor.getTaskHandle(task, 'te_000000000000000000000000')).rejects.toThrow(
        'Execution te_000000000000000000000000 not found',
      );
    });

    it('rejects a handle when the execution belongs to another task', async () => {
      const executor = engine.createExecutor();
      const mine = executor.task({ id: 'mine', timeoutMs: 1000, run: () => 1 });
      const theirs = executor.task({ id: 'theirs', timeoutMs: 1000, run: () => 2 });
      const handle = await executor.enqueueTask(theirs, undefined);
      await expect(executor.getTaskHandle(mine, handle.getTaskExecutionId())).rejects.toThrow();
    });

    it('rejects a wait given an already aborted signal, leaving the execution alone', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({ id: 'wait_aborted', timeoutMs: 1000, run: () => 'ran' });
      const handle = await executor.enqueueTask(task, undefined);

      const controller = new AbortController();
      controller.abort();
      const error = await rejectionOf(
        handle.waitAndGetTaskFinishedExecution({ signal: controller.signal }),
      );
      expect(error).toBeInstanceOf(DurableExecutionCancelledError);

      executor.start();
      expect(expectCompleted(await waitFinished(handle)).output).toBe('ran');
    });

    it('rejects a pending wait when its cancel signal fires', async () => {
      const executor = engine.createExecutor();
      const release = createDeferred();
      const task = executor.task({
        id: 'wait_cancelled',
        timeoutMs: 5000,
        run: async () => {
          await release.promise;
          return 'still ran';
        },
      });
      executor.start();
      const handle = await executor.enqueueTask(task, undefined);

      const [signal, cancel] = createCancelSignal();
      const waiting = rejectionOf(
        handle.waitAndGetTaskFinishedExecution({ signal, pollingIntervalMs: 60_000 }),
      );
      cancel();
      expect(await waiting).toBeInstanceOf(DurableExecutionCancelledError);

      release.resolve();
      expect(expectCompleted(await waitFinished(handle)).output).toBe('still ran');
    });

    it('resolves a wait on the finish event, not on its polling interval', async () => {
      const executor = engine.createExecutor();
      const release = createDeferred();
      const task = executor.task({
        id: 'wait_event',
        timeoutMs: 5000,
        run: async () => {
          await release.promise;
          return 'fast';
        },
      });
      executor.start();
      const handle = await executor.enqueueTask(task, undefined);
      const waiting = handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: 60_000 });

      const releasedAt = Date.now();
      release.resolve();
      expectCompleted(await waiting);
      expect(Date.now() - releasedAt).toBeLessThan(1000);
    });

    it('returns what its own executor just finished without reading it back', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({
        id: 'wait_no_read',
        timeoutMs: 5000,
        run: (_ctx, input: { n: number }) => ({ doubled: input.n * 2 }),
      });
      executor.start();
      const reads = vi.spyOn(engine.storage, 'getExecutions');
      const single = vi.spyOn(engine.storage, 'getExecution');
      try {
        const handle = await executor.enqueueTask(task, { n: 4 });
        // A long poll: only the finish event, with the row it carries, ends this wait.
        const finished = expectCompleted(
          await handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: 60_000 }),
        );
        expect(finished.output).toEqual({ doubled: 8 });
        expect(finished.runInput).toEqual({ n: 4 });
        expect(finished.finishedAt).toBeInstanceOf(Date);
        expect(reads).not.toHaveBeenCalled();
        expect(single).not.toHaveBeenCalled();
        // The row it returned is the stored one.
        const stored = await executor.getExecution(handle.getTaskExecutionId());
        expect(stored).toMatchObject({
          status: 'completed',
          output: { doubled: 8 },
          finishedAt: finished.finishedAt,
        });
      } finally {
        reads.mockRestore();
        single.mockRestore();
      }
    });
  });
}
