/**
 * Lease expiry: an executor that claimed an execution and vanished is played by the test
 * itself (a direct `claimReadyExecutions` call); a live executor must recover the work.
 */
import { describe, expect, it } from 'vitest';
import type { DurableStorage, ExecutionRow, RunResult, TaskRunContext } from '@/server/engine';
import { waitFor } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

/** Claims one due execution of `taskId` as an executor that then dies; returns its claim. */
async function claimAndVanish(storage: DurableStorage, taskId: string): Promise<ExecutionRow> {
  let claimed: ExecutionRow | undefined;
  await waitFor(
    async () => {
      const rows = await storage.claimReadyExecutions({
        taskIds: [taskId],
        limit: 1,
        now: Date.now(),
        expireMs: 20,
      });
      claimed = rows[0];
      return claimed !== undefined;
    },
    { message: `a ready execution of ${taskId} to claim` },
  );
  if (!claimed) throw new Error('unreachable: waitFor resolved without a claim');
  return claimed;
}

/** The result a stale claimant would write: completed with a (serialized) string output. */
function staleCompletion(claim: ExecutionRow, output: string): RunResult {
  return {
    executionId: claim.executionId,
    leaseToken: claim.leaseToken,
    outcome: { kind: 'completed', output: JSON.stringify({ json: output }), runOutput: null },
  };
}

const LOST_EXECUTOR_ERROR = {
  errorType: 'generic',
  message: 'Executor lost: the lease of the execution expired',
  isRetryable: true,
};

export function describeLeases(factory: EngineStoreFactory): void {
  describe('lease expiry', () => {
    const engine = useEngineHarness(factory);

    it('recovers the execution of a dead executor, even without retries', async () => {
      const dead = engine.createExecutor();
      const deadTask = dead.task({
        id: 'crash_survivor',
        timeoutMs: 30,
        run: (_ctx, _input: string) => 'never here',
      });
      const handle = await dead.enqueueTask(deadTask, 'payload');
      const claim = await claimAndVanish(engine.storage, 'crash_survivor');
      expect(claim.executionId).toBe(handle.getTaskExecutionId());
      const running = await handle.getTaskExecution();
      expect(running.status).toBe('running');
      expect(running.expiresAt?.getTime()).toBe((claim.startedAt ?? 0) + 30 + 20);

      const live = engine.createExecutor({ expireMs: 20 });
      const contexts: TaskRunContext[] = [];
      live.task({
        id: 'crash_survivor',
        timeoutMs: 30,
        run: (ctx, input: string) => {
          contexts.push(ctx);
          return `recovered ${input}`;
        },
      });
      live.start();

      const execution = expectCompleted(await waitFinished(handle));
      expect(execution.output).toBe('recovered payload');
      expect(execution.recoveryAttempts).toBe(1);
      expect(execution.retryAttempts).toBe(0);
      expect(contexts).toHaveLength(1);
      expect(contexts[0]?.attempt).toBe(1);
      expect(contexts[0]?.prevError).toEqual(LOST_EXECUTOR_ERROR);

      // The vanished executor comes back with its old lease: its result must be dropped.
      const applied = await engine.storage.applyRunResults(
        [staleCompletion(claim, 'stale')],
        Date.now(),
      );
      expect(applied).toEqual([null]);
      expect(expectCompleted(await waitFinished(handle)).output).toBe('recovered payload');
    });

    it('drops the result of a claim whose execution was cancelled meanwhile', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({ id: 'cancelled_claim', timeoutMs: 1000, run: () => 'run' });
      const handle = await executor.enqueueTask(task, undefined);
      const claim = await claimAndVanish(engine.storage, 'cancelled_claim');
      await handle.cancel();

      const applied = await engine.storage.applyRunResults(
        [staleCompletion(claim, 'late')],
        Date.now(),
      );
      expect(applied).toEqual([null]);
      expectFinishedWith(await waitFinished(handle), 'cancelled');
    });

    it('fails with the lost-executor error once maxRecoveryAttempts is 0', async () => {
      const dead = engine.createExecutor();
      const deadTask = dead.task({ id: 'no_second_life', timeoutMs: 30, run: () => 1 });
      const handle = await dead.enqueueTask(deadTask, undefined);
      await claimAndVanish(engine.storage, 'no_second_life');

      const live = engine.createExecutor({ expireMs: 20, maxRecoveryAttempts: 0 });
      let runs = 0;
      live.task({ id: 'no_second_life', timeoutMs: 30, run: () => (runs += 1) });
      live.start();

      const execution = expectFinishedWith(await waitFinished(handle), 'failed');
      // The lost-executor error itself (retryable by kind: the recovery budget ran out, not
      // the task's code), not some other failure of the run.
      expect(execution.error).toEqual(LOST_EXECUTOR_ERROR);
      expect(execution.recoveryAttempts).toBe(0);
      expect(runs).toBe(0);
    });

    it('gives up after maxRecoveryAttempts crashes instead of looping forever', async () => {
      const dead = engine.createExecutor();
      const crashy = dead.task({ id: 'crash_loop', timeoutMs: 10, run: () => 1 });
      const handle = await dead.enqueueTask(crashy, undefined);

      // Recovers leases but cannot run crash_loop: every run is claimed by a dying executor.
      const recoverer = engine.createExecutor({ expireMs: 10, maxRecoveryAttempts: 2 });
      recoverer.task({ id: 'unrelated', timeoutMs: 1000, run: () => 1 });
      recoverer.start();

      for (let crash = 0; crash < 3; crash++) {
        await claimAndVanish(engine.storage, 'crash_loop');
      }
      const execution = expectFinishedWith(await waitFinished(handle), 'failed');
      expect(execution.recoveryAttempts).toBe(2);
      expect(execution.retryAttempts).toBe(0);
    });

    it('counts a recovery in ctx.attempt together with retries', async () => {
      const dead = engine.createExecutor();
      const deadTask = dead.task({
        id: 'recover_then_retry',
        timeoutMs: 30,
        retryOptions: { maxAttempts: 1 },
        run: () => 1,
      });
      const handle = await dead.enqueueTask(deadTask, undefined);
      await claimAndVanish(engine.storage, 'recover_then_retry');

      const live = engine.createExecutor({ expireMs: 20 });
      const attempts: number[] = [];
      live.task({
        id: 'recover_then_retry',
        timeoutMs: 30,
        retryOptions: { maxAttempts: 1 },
        run: (ctx) => {
          attempts.push(ctx.attempt);
          if (attempts.length === 1) throw new Error('first live attempt fails');
          return ctx.attempt;
        },
      });
      live.start();

      const execution = expectCompleted(await waitFinished(handle));
      expect(attempts).toEqual([1, 2]);
      expect(execution.recoveryAttempts).toBe(1);
      expect(execution.retryAttempts).toBe(1);
    });
  });
}
