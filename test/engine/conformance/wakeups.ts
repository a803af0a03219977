/**
 * Wake-ups: with a one-minute backstop poll, everything that happens in this process (an
 * enqueue, a finished child, a retry or sleep coming due, a cancel) must still be prompt.
 */
import { describe, expect, it } from 'vitest';
import type { FinalizeTaskInput } from '@/server/engine';
import { aborted, createDeferred, delay, never, within } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  type EngineStoreFactory,
} from './harness';

const NO_POLLING = 60_000;
const PROMPT_MS = 1000;

interface Waitable<T> {
  waitAndGetTaskFinishedExecution(options: { pollingIntervalMs?: number }): Promise<T>;
}

function promptly<T>(handle: Waitable<T>, what: string): Promise<T> {
  return within(
    handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: NO_POLLING }),
    PROMPT_MS,
    what,
  );
}

export function describeWakeups(factory: EngineStoreFactory): void {
  describe('wake-ups without polling', () => {
    const engine = useEngineHarness(factory);
    const createIdleExecutor = () =>
      engine.createExecutor({ backgroundProcessIntraBatchSleepMs: NO_POLLING });

    it('runs work enqueued on an idle executor at once', async () => {
      const executor = createIdleExecutor();
      const task = executor.task({
        id: 'wake_enqueue',
        timeoutMs: 1000,
        run: (_c, n: number) => n,
      });
      executor.start();

      expectCompleted(await promptly(await executor.enqueueTask(task, 1), 'the first run'));
      // Not a synchronisation: a pause so that the executor's loops are idle, waiting on their
      // one-minute backstop; only a wake-up can make the next run prompt.
      await delay(50);
      expectCompleted(
        await promptly(await executor.enqueueTask(task, 2), 'a run on an idle executor'),
      );
    });

    it('moves a tree through children and finalize at once', async () => {
      const executor = createIdleExecutor();
      const child = executor.task({ id: 'wake_child', timeoutMs: 1000, run: (_c, n: number) => n });
      const finalize = executor.task({
        id: 'wake_finalize',
        timeoutMs: 1000,
        run: (_ctx, input: FinalizeTaskInput<undefined, null>) => input.childrenTasksOutputs.length,
      });
      const parent = executor.parentTask({
        id: 'wake_parent',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [1, 2, 3].map((n) => ({ task: child, input: n })),
        }),
        finalizeTask: finalize,
      });
      executor.start();

      const execution = await promptly(await executor.enqueueTask(parent, undefined), 'the tree');
      expect(expectCompleted(execution).output).toBe(3);
    });

    it('runs a retry as soon as its backoff ends', async () => {
      const executor = createIdleExecutor();
      const task = executor.task({
        id: 'wake_retry',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 1, baseDelayMs: 30 },
        run: (ctx) => {
          if (ctx.attempt === 0) throw new Error('once');
          return ctx.attempt;
        },
      });
      executor.start();
      const execution = await promptly(await executor.enqueueTask(task, undefined), 'the retry');
      expect(expectCompleted(execution).output).toBe(1);
    });

    it('runs a sleeping execution as soon as it is due', async () => {
      const executor = createIdleExecutor();
      const task = executor.task({ id: 'wake_sleep', timeoutMs: 1000, run: () => 'woke' });
      executor.start();
      const handle = await executor.enqueueTask(task, undefined, { sleepMsBeforeRun: 50 });
      expectCompleted(await promptly(handle, 'the sleeping execution'));
    });

    it('delivers a cancel to running code at once', async () => {
      const executor = createIdleExecutor();
      const started = createDeferred();
      const signalled = createDeferred();
      const task = executor.task({
        id: 'wake_cancel',
        timeoutMs: 60_000,
        run: async (ctx) => {
          started.resolve();
          await aborted(ctx.cancelSignal.abortSignal);
          signalled.resolve();
          return never();
        },
      });
      executor.start();
      const handle = await executor.enqueueTask(task, undefined);
      await within(started.promise, PROMPT_MS, 'the run start');
      await handle.cancel();
      await within(signalled.promise, PROMPT_MS, 'the cancel signal');
      expectFinishedWith(await promptly(handle, 'the cancelled execution'), 'cancelled');
    });
  });
}
