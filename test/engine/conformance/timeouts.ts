/** Timeouts: timed_out status, the cancel signal firing in run code, retries, overrides. */
import { describe, expect, it } from 'vitest';
import type { TaskRunContext } from '@/server/engine';
import { aborted, never } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeTimeouts(factory: EngineStoreFactory): void {
  describe('timeouts', () => {
    const engine = useEngineHarness(factory);

    it('marks a run that exceeds timeoutMs timed_out and aborts its code', async () => {
      const executor = engine.createExecutor();
      let signalledAfterMs = -1;
      const slow = executor.task({
        id: 'too_slow',
        timeoutMs: 50,
        run: async (ctx) => {
          const startedAt = Date.now();
          await aborted(ctx.cancelSignal.abortSignal);
          signalledAfterMs = Date.now() - startedAt;
          return never();
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(slow, undefined)),
        'timed_out',
      );
      expect(execution.error).toMatchObject({
        errorType: 'timed_out',
        message: 'Task timed out',
        isRetryable: true,
      });
      expect(signalledAfterMs).toBeGreaterThanOrEqual(45);
      expect(
        execution.finishedAt.getTime() - (execution.startedAt?.getTime() ?? 0),
      ).toBeGreaterThanOrEqual(49);
    });

    it('retries a timed-out attempt when retries are allowed', async () => {
      const executor = engine.createExecutor();
      const contexts: TaskRunContext[] = [];
      const sometimesSlow = executor.task({
        id: 'sometimes_slow',
        timeoutMs: 40,
        retryOptions: { maxAttempts: 1 },
        run: (ctx) => {
          contexts.push(ctx);
          return ctx.attempt === 0 ? never() : 'fast enough';
        },
      });
      executor.start();

      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(sometimesSlow, undefined)),
      );
      expect(execution.output).toBe('fast enough');
      expect(execution.retryAttempts).toBe(1);
      expect(contexts.map((ctx) => ctx.attempt)).toEqual([0, 1]);
      expect(contexts[0]?.cancelSignal.isCancelled()).toBe(true);
      expect(contexts[1]?.prevError?.errorType).toBe('timed_out');
    });

    it('stays timed_out once the retry budget is spent', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const alwaysSlow = executor.task({
        id: 'always_slow',
        timeoutMs: 20,
        retryOptions: { maxAttempts: 2 },
        run: () => {
          runs += 1;
          return never();
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(alwaysSlow, undefined)),
        'timed_out',
      );
      expect(runs).toBe(3);
      expect(execution.retryAttempts).toBe(2);
    });

    it('applies a timeoutMs given at enqueue', async () => {
      const executor = engine.createExecutor();
      const patient = executor.task({ id: 'patient', timeoutMs: 60_000, run: () => never() });
      executor.start();

      const handle = await executor.enqueueTask(patient, undefined, { timeoutMs: 30 });
      const execution = expectFinishedWith(await waitFinished(handle), 'timed_out');
      expect(execution.timeoutMs).toBe(30);
    });

    it('completes a run that finishes within its timeout', async () => {
      const executor = engine.createExecutor();
      const quick = executor.task({
        id: 'quick_enough',
        timeoutMs: 500,
        run: async (ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return ctx.cancelSignal.isCancelled();
        },
      });
      executor.start();

      const execution = await waitFinished(await executor.enqueueTask(quick, undefined));
      expect(expectCompleted(execution).output).toBe(false);
    });
  });
}
