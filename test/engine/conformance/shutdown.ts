/** Lifecycle: start idempotent, shutdown signalled, bounded, final, and leaving nothing open. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurableExecutorShutdownError } from '@/server/engine';
import { aborted, createDeferred, never, trackTimers, waitFor } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineHarness,
  type EngineStoreFactory,
} from './harness';

const ENGINE_DIR = new URL('../../../server/engine/', import.meta.url).pathname;

/** Runs `body`, then expects every timer the engine created meanwhile to be gone. */
async function expectNoEngineTimerLeft(body: () => Promise<void>): Promise<void> {
  const timers = trackTimers(ENGINE_DIR);
  try {
    await body();
    await waitFor(() => timers.pending().length === 0, { timeoutMs: 500 }).catch(() => undefined);
    expect(timers.pending()).toEqual([]);
  } finally {
    timers.stop();
  }
}

/** Runs tasks exercising every timer the engine may set (runs, retries, due times, waits). */
async function runTimerHeavyWorkload(engine: EngineHarness, suffix: string): Promise<void> {
  const executor = engine.createExecutor();
  const started = createDeferred();
  const quick = executor.task({ id: `quick_${suffix}`, timeoutMs: 5000, run: () => 1 });
  const retried = executor.task({
    id: `retried_${suffix}`,
    timeoutMs: 5000,
    retryOptions: { maxAttempts: 1, baseDelayMs: 5 },
    run: (ctx) => {
      if (ctx.attempt === 0) throw new Error('retry me');
      return 2;
    },
  });
  const graceful = executor.task({
    id: `graceful_${suffix}`,
    timeoutMs: 5000,
    run: async (ctx) => {
      started.resolve();
      await aborted(ctx.shutdownSignal.abortSignal);
      return 3;
    },
  });
  executor.start();
  executor.start();

  const sleeper = await executor.enqueueTask(quick, undefined, { sleepMsBeforeRun: 60_000 });
  expectCompleted(await waitFinished(await executor.enqueueTask(quick, undefined)));
  expectCompleted(await waitFinished(await executor.enqueueTask(retried, undefined)));
  const gracefulHandle = await executor.enqueueTask(graceful, undefined);
  await started.promise;
  await executor.shutdown();
  expect((await sleeper.getTaskExecution()).status).toBe('ready');
  expectCompleted(await waitFinished(gracefulHandle));
}

export function describeShutdown(factory: EngineStoreFactory): void {
  describe('start and shutdown', () => {
    const engine = useEngineHarness(factory);

    it('fires the shutdown signal in running code and waits for the run to finish', async () => {
      const executor = engine.createExecutor();
      const started = createDeferred();
      const graceful = executor.task({
        id: 'graceful',
        timeoutMs: 5000,
        run: async (ctx) => {
          started.resolve();
          await aborted(ctx.shutdownSignal.abortSignal);
          expect(ctx.shutdownSignal.isCancelled()).toBe(true);
          expect(ctx.cancelSignal.isCancelled()).toBe(false);
          return 'stopped gracefully';
        },
      });
      executor.start();

      const handle = await executor.enqueueTask(graceful, undefined);
      await started.promise;
      await executor.shutdown();
      const execution = expectCompleted(await handle.waitAndGetTaskFinishedExecution());
      expect(execution.output).toBe('stopped gracefully');
    });

    it('returns within its timeoutMs even when a task hangs, clearing its timers', async () => {
      await expectNoEngineTimerLeft(async () => {
        const executor = engine.createExecutor();
        const started = createDeferred();
        const hung = executor.task({
          id: 'hung',
          timeoutMs: 60_000,
          run: () => {
            started.resolve();
            return never();
          },
        });
        executor.start();
        await executor.enqueueTask(hung, undefined);
        await started.promise;

        const shutdownStartedAt = Date.now();
        await executor.shutdown({ timeoutMs: 100 });
        const elapsed = Date.now() - shutdownStartedAt;
        expect(elapsed).toBeGreaterThanOrEqual(90);
        expect(elapsed).toBeLessThan(1000);
      });
    });

    it('rejects enqueues after shutdown and keeps handles usable', async () => {
      const executor = engine.createExecutor();
      const later = executor.task({ id: 'later', timeoutMs: 1000, run: () => 'later' });
      const now = executor.task({ id: 'now', timeoutMs: 1000, run: () => 'now' });
      executor.start();
      const done = await executor.enqueueTask(now, undefined);
      expectCompleted(await waitFinished(done));
      const pending = await executor.enqueueTask(later, undefined, { sleepMsBeforeRun: 60_000 });

      await executor.shutdown();
      await executor.shutdown();
      await expect(executor.enqueueTask(now, undefined)).rejects.toThrow('Executor shutdown');

      expect(expectCompleted(await waitFinished(done)).output).toBe('now');
      const reread = await executor.getTaskHandle(now, done.getTaskExecutionId());
      expect((await reread.getTaskExecution()).status).toBe('completed');
      await pending.cancel();
      expectFinishedWith(await waitFinished(pending), 'cancelled');
    });

    it('refuses to define tasks after shutdown, through every builder', async () => {
      const executor = engine.createExecutor();
      const before = executor.task({ id: 'before_shutdown', timeoutMs: 1000, run: () => 1 });
      const validating = executor.validateInput((n: number) => n);
      const schema = executor.inputSchema(z.number());
      await executor.shutdown();

      const attempts: [string, () => unknown][] = [
        ['task', () => executor.task({ id: 'late_task', timeoutMs: 1000, run: () => 1 })],
        [
          'parentTask',
          () =>
            executor.parentTask({
              id: 'late_parent',
              timeoutMs: 1000,
              runParent: () => ({ output: 1 }),
              finalizeTask: { id: 'late_fin', timeoutMs: 1000, run: () => 2 },
            }),
        ],
        ['validateInput', () => executor.validateInput((n: number) => n)],
        ['inputSchema', () => executor.inputSchema(z.number())],
        [
          'validateInput().task',
          () => validating.task({ id: 'late_v', timeoutMs: 1000, run: () => 1 }),
        ],
        [
          'inputSchema().parentTask',
          () =>
            schema.parentTask({ id: 'late_s', timeoutMs: 1000, runParent: () => ({ output: 1 }) }),
        ],
        ['sequentialTasks', () => executor.sequentialTasks(before, before)],
      ];
      for (const [name, attempt] of attempts) {
        let thrown: unknown;
        try {
          attempt();
        } catch (error) {
          thrown = error;
        }
        expect(thrown, name).toBeInstanceOf(DurableExecutorShutdownError);
        expect((thrown as Error).message, name).toBe('Executor shutdown');
      }
      expect(executor.listTasks().map((t) => t.id)).toEqual(['before_shutdown']);
      await expect(executor.enqueueTask(before, undefined)).rejects.toThrow(
        DurableExecutorShutdownError,
      );
    });

    it('treats repeated start calls as one and runs each execution once', async () => {
      const executor = engine.createExecutor();
      const runs = new Map<number, number>();
      const counted = executor.task({
        id: 'counted',
        timeoutMs: 1000,
        run: (_ctx, n: number) => runs.set(n, (runs.get(n) ?? 0) + 1),
      });
      executor.start();
      executor.start();
      executor.start();

      const handles = await Promise.all(
        Array.from({ length: 20 }, (_, n) => executor.enqueueTask(counted, n)),
      );
      for (const handle of handles) expectCompleted(await waitFinished(handle));
      expect([...runs.values()]).toEqual(Array.from({ length: 20 }, () => 1));
    });

    it('shuts down an executor that was never started', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({ id: 'unstarted', timeoutMs: 1000, run: () => 1 });
      const handle = await executor.enqueueTask(task, undefined);
      await executor.shutdown({ timeoutMs: 100 });
      expect((await handle.getTaskExecution()).status).toBe('ready');
    });

    it('leaves no timer behind after shutdown', async () => {
      await expectNoEngineTimerLeft(() => runTimerHeavyWorkload(engine, 'measured'));
    });
  });
}
