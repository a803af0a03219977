/** Cancellation of single executions: before start, while running, repeated, after finish. */
import { describe, expect, it } from 'vitest';
import { aborted, createDeferred, never, waitFor } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeCancel(factory: EngineStoreFactory): void {
  describe('cancel', () => {
    const engine = useEngineHarness(factory);

    it('cancels a ready execution so that it never runs', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const neverRun = executor.task({ id: 'never_run', timeoutMs: 1000, run: () => (runs += 1) });
      const marker = executor.task({ id: 'marker', timeoutMs: 1000, run: () => 'marker' });

      const handle = await executor.enqueueTask(neverRun, undefined);
      await handle.cancel();
      const cancelled = expectFinishedWith(await waitFinished(handle), 'cancelled');
      expect(cancelled.error).toMatchObject({ errorType: 'cancelled', isRetryable: false });

      executor.start();
      // An execution enqueued after the cancelled one has run: the cancelled one was skipped.
      expectCompleted(await waitFinished(await executor.enqueueTask(marker, undefined)));
      expect(runs).toBe(0);
      expect((await handle.getTaskExecution()).status).toBe('cancelled');
    });

    it('cancels a running execution and fires its cancel signal in the run code', async () => {
      const executor = engine.createExecutor();
      const started = createDeferred();
      const fired = { onCancelled: 0, abortEvent: 0 };
      const waiting = executor.task({
        id: 'wait_for_cancel',
        timeoutMs: 5000,
        run: async (ctx) => {
          ctx.cancelSignal.onCancelled(() => (fired.onCancelled += 1));
          ctx.cancelSignal.abortSignal.addEventListener('abort', () => (fired.abortEvent += 1));
          started.resolve();
          await aborted(ctx.cancelSignal.abortSignal);
          return never();
        },
      });
      executor.start();

      const handle = await executor.enqueueTask(waiting, undefined);
      const finished = waitFinished(handle);
      await started.promise;
      await handle.cancel();

      const execution = expectFinishedWith(await finished, 'cancelled');
      expect(execution.error.errorType).toBe('cancelled');
      expect(execution.finishedAt).toBeInstanceOf(Date);
      await waitFor(() => fired.onCancelled === 1 && fired.abortEvent === 1, {
        message: 'the cancel signal to fire in run code',
      });
    });

    it('accepts repeated parallel cancels of a running execution', async () => {
      const executor = engine.createExecutor();
      const started = createDeferred();
      let signalCount = 0;
      const waiting = executor.task({
        id: 'cancel_many_times',
        timeoutMs: 5000,
        run: async (ctx) => {
          ctx.cancelSignal.onCancelled(() => (signalCount += 1));
          started.resolve();
          await aborted(ctx.cancelSignal.abortSignal);
          return never();
        },
      });
      executor.start();

      const handle = await executor.enqueueTask(waiting, undefined);
      await started.promise;
      await Promise.all(Array.from({ length: 5 }, () => handle.cancel()));
      const execution = expectFinishedWith(await waitFinished(handle), 'cancelled');
      await Promise.all(Array.from({ length: 5 }, () => handle.cancel()));

      expect((await handle.getTaskExecution()).finishedAt).toEqual(execution.finishedAt);
      await waitFor(() => signalCount === 1, { message: 'one cancel signal' });
    });

    it('accepts repeated parallel cancels of a ready execution', async () => {
      const executor = engine.createExecutor();
      const idle = executor.task({ id: 'cancel_ready_many', timeoutMs: 1000, run: () => 1 });
      const handle = await executor.enqueueTask(idle, undefined);
      await Promise.all(Array.from({ length: 5 }, () => handle.cancel()));
      expect((await handle.getTaskExecution()).status).toBe('cancelled');
    });

    it('leaves a finished execution as it is', async () => {
      const executor = engine.createExecutor();
      const done = executor.task({ id: 'already_done', timeoutMs: 1000, run: () => 'kept' });
      executor.start();

      const handle = await executor.enqueueTask(done, undefined);
      const before = expectCompleted(await waitFinished(handle));
      await handle.cancel();
      await handle.cancel();
      const after = expectCompleted(await waitFinished(handle));
      expect(after.output).toBe('kept');
      expect(after.finishedAt).toEqual(before.finishedAt);
    });

    it('drops the late result of run code that ignores its cancel signal', async () => {
      const executor = engine.createExecutor();
      const started = createDeferred();
      const release = createDeferred();
      const returned = createDeferred();
      const stubborn = executor.task({
        id: 'stubborn',
        timeoutMs: 5000,
        run: async () => {
          started.resolve();
          await release.promise;
          returned.resolve();
          return 'too late';
        },
      });
      const marker = executor.task({ id: 'late_marker', timeoutMs: 1000, run: () => 1 });
      executor.start();

      const handle = await executor.enqueueTask(stubborn, undefined);
      await started.promise;
      await handle.cancel();
      release.resolve();
      await returned.promise;
      expectCompleted(await waitFinished(await executor.enqueueTask(marker, undefined)));

      const execution = expectFinishedWith(await waitFinished(handle), 'cancelled');
      expect((execution as { output?: unknown }).output).toBeUndefined();
    });
  });
}
