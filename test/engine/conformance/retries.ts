/** Retries: backoff delays, attempt and prevError in context, non-retryable errors, budgets. */
import { describe, expect, it } from 'vitest';
import {
  DurableExecutionCancelledError,
  DurableExecutionError,
  DurableExecutionTimedOutError,
} from '@/server/engine';
import type { TaskRunContext } from '@/server/engine';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

interface Attempt {
  attempt: number;
  prevError: TaskRunContext['prevError'];
  startedAt: number;
  failedAt?: number;
}

export function describeRetries(factory: EngineStoreFactory): void {
  describe('retries', () => {
    const engine = useEngineHarness(factory);

    it('retries with exponential backoff, passing attempt and prevError to the run', async () => {
      const executor = engine.createExecutor();
      const attempts: Attempt[] = [];
      const flaky = executor.task({
        id: 'flaky',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 3, baseDelayMs: 40, delayMultiplier: 2 },
        run: (ctx) => {
          const record: Attempt = {
            attempt: ctx.attempt,
            prevError: ctx.prevError,
            startedAt: Date.now(),
          };
          attempts.push(record);
          if (ctx.attempt < 2) {
            record.failedAt = Date.now();
            throw new Error(`boom ${ctx.attempt}`);
          }
          return 'finally';
        },
      });
      executor.start();

      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(flaky, undefined)),
      );
      expect(execution.output).toBe('finally');
      expect(execution.retryAttempts).toBe(2);
      expect(execution.recoveryAttempts).toBe(0);
      expect(attempts.map((a) => a.attempt)).toEqual([0, 1, 2]);
      expect(attempts[0]?.prevError).toBeUndefined();
      expect(attempts[1]?.prevError).toMatchObject({
        errorType: 'generic',
        message: 'boom 0',
        isRetryable: true,
      });
      expect(attempts[2]?.prevError?.message).toBe('boom 1');
      // Lower bounds only: baseDelayMs * delayMultiplier^retry = 40, then 80.
      const [first, second, third] = attempts;
      expect((second?.startedAt ?? 0) - (first?.failedAt ?? 0)).toBeGreaterThanOrEqual(39);
      expect((third?.startedAt ?? 0) - (second?.failedAt ?? 0)).toBeGreaterThanOrEqual(79);
    });

    it('caps each delay at maxDelayMs', async () => {
      const executor = engine.createExecutor();
      const starts: number[] = [];
      const capped = executor.task({
        id: 'capped_backoff',
        timeoutMs: 1000,
        // Uncapped the delays would be 100 ms then 1000 ms.
        retryOptions: { maxAttempts: 2, baseDelayMs: 100, delayMultiplier: 10, maxDelayMs: 30 },
        run: (ctx) => {
          starts.push(Date.now());
          if (ctx.attempt < 2) throw new Error('again');
          return ctx.attempt;
        },
      });
      executor.start();

      const enqueuedAt = Date.now();
      expectCompleted(await waitFinished(await executor.enqueueTask(capped, undefined)));
      expect(starts).toHaveLength(3);
      expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(29);
      expect((starts[2] ?? 0) - (starts[1] ?? 0)).toBeGreaterThanOrEqual(29);
      expect(Date.now() - enqueuedAt).toBeLessThan(700);
    });

    it('fails with the last error once the retry budget is spent', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const hopeless = executor.task({
        id: 'hopeless',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 2 },
        run: () => {
          runs += 1;
          throw new DurableExecutionError(`failure ${runs}`);
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(hopeless, undefined)),
        'failed',
      );
      expect(runs).toBe(3);
      expect(execution.retryAttempts).toBe(2);
      expect(execution.error).toMatchObject({
        errorType: 'generic',
        message: 'failure 3',
        isRetryable: true,
      });
      expect(typeof execution.error.stack).toBe('string');
    });

    it('runs a task that throws a non-retryable error exactly once', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const fatal = executor.task({
        id: 'fatal',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 5 },
        run: () => {
          runs += 1;
          throw new DurableExecutionError('do not retry', false);
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(fatal, undefined)),
        'failed',
      );
      expect(runs).toBe(1);
      expect(execution.retryAttempts).toBe(0);
      expect(execution.error).toMatchObject({ message: 'do not retry', isRetryable: false });
    });

    it('does not retry by default, and treats anything thrown as a generic error', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const throwsString = executor.task({
        id: 'throws_string',
        timeoutMs: 1000,
        run: () => {
          runs += 1;
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- user code may do this
          throw 'plain string failure';
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(throwsString, undefined)),
        'failed',
      );
      expect(runs).toBe(1);
      expect(execution.error.errorType).toBe('generic');
      expect(execution.error.message).toContain('plain string failure');
    });

    it('takes retry options given at enqueue over the task definition', async () => {
      const executor = engine.createExecutor();
      let runs = 0;
      const once = executor.task({
        id: 'retry_at_enqueue',
        timeoutMs: 1000,
        run: () => {
          runs += 1;
          if (runs < 3) throw new Error('not yet');
          return runs;
        },
      });
      executor.start();

      const handle = await executor.enqueueTask(once, undefined, {
        retryOptions: { maxAttempts: 2 },
      });
      expect(expectCompleted(await waitFinished(handle)).output).toBe(3);
    });

    it('maps thrown cancelled and timed-out errors to their statuses without retrying', async () => {
      const executor = engine.createExecutor();
      const runs = { cancelled: 0, timedOut: 0 };
      const selfCancel = executor.task({
        id: 'self_cancel',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 3 },
        run: () => {
          runs.cancelled += 1;
          throw new DurableExecutionCancelledError();
        },
      });
      const selfTimeout = executor.task({
        id: 'self_timeout',
        timeoutMs: 1000,
        run: () => {
          runs.timedOut += 1;
          throw new DurableExecutionTimedOutError();
        },
      });
      executor.start();

      const cancelled = await waitFinished(await executor.enqueueTask(selfCancel, undefined));
      expect(expectFinishedWith(cancelled, 'cancelled').error.errorType).toBe('cancelled');
      const timedOut = await waitFinished(await executor.enqueueTask(selfTimeout, undefined));
      expect(expectFinishedWith(timedOut, 'timed_out').error).toMatchObject({
        errorType: 'timed_out',
        message: 'Task timed out',
        isRetryable: true,
      });
      expect(runs).toEqual({ cancelled: 1, timedOut: 1 });
    });
  });
}
