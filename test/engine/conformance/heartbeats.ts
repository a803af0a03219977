/** Executors' heartbeats and the workers view built from them. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DurableExecutor, DurableStorageQueries, ExecutorHeartbeat } from '@/server/engine';
import { createDeferred, waitFor } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeHeartbeats(factory: EngineStoreFactory): void {
  describe('heartbeats', () => {
    const engine = useEngineHarness(factory);
    /** The workers view as a reader (an executor that is never started) sees it. */
    const listed = async (executorId: string) => {
      reader ??= engine.createExecutor();
      return (await reader.getExecutors()).find((e) => e.executorId === executorId);
    };
    let reader: DurableExecutor | undefined;
    beforeEach(() => {
      reader = undefined;
    });

    it('beats on start, lists what runs, and marks a clean shutdown', async () => {
      const executor = engine.createExecutor({ heartbeatIntervalMs: 20, version: '1.2.3' });
      const release = createDeferred();
      const task = executor.task({
        id: 'beating',
        timeoutMs: 5000,
        run: async () => {
          await release.promise;
          return 'done';
        },
      });
      executor.start();
      const id = executor.getExecutorId();
      await waitFor(async () => (await listed(id)) !== undefined, { message: 'a first beat' });
      const first = (await listed(id))!;
      expect(first).toMatchObject({
        state: 'live',
        version: '1.2.3',
        pid: process.pid,
        taskIds: ['beating'],
        stoppedAt: null,
      });

      const handle = await executor.enqueueTask(task, undefined);
      const executionId = handle.getTaskExecutionId();
      await waitFor(async () => !!(await listed(id))?.runningExecutionIds.includes(executionId), {
        message: 'a beat listing the running execution',
      });
      release.resolve();
      expectCompleted(await waitFinished(handle));
      await executor.shutdown();
      const last = (await listed(id))!;
      expect(last.state).toBe('stopped');
      expect(last.stoppedAt).not.toBeNull();
      expect(last.runningExecutionIds).toEqual([]);
    });

    it('shows a silent executor dead, with the executions it left running and their lease ends', async () => {
      const executor = engine.createExecutor({ heartbeatIntervalMs: 1000 });
      const release = createDeferred();
      const task = executor.task({
        id: 'orphaned',
        timeoutMs: 5000,
        run: async () => {
          await release.promise;
          return 'done';
        },
      });
      executor.start();
      const handle = await executor.enqueueTask(task, undefined);
      const executionId = handle.getTaskExecutionId();
      await waitFor(async () => (await handle.getTaskExecution()).status === 'running', {
        message: 'the run',
      });
      // A heartbeat from long ago that lists the running execution: its writer went silent.
      const longAgo = Date.now() - 60_000;
      const silent: ExecutorHeartbeat = {
        executorId: 'ex_silent',
        host: 'gone-host',
        pid: 4242,
        version: 'old',
        taskIds: ['orphaned'],
        runningExecutionIds: [executionId, 'te_finished_long_ago'],
        startedAt: longAgo - 1000,
        heartbeatAt: longAgo,
        stoppedAt: null,
      };
      await engine.storage.recordHeartbeat(silent, 0);
      const dead = (await listed('ex_silent'))!;
      expect(dead.state).toBe('dead');
      const running = await handle.getTaskExecution();
      expect(dead.inFlight).toEqual([
        {
          executionId,
          taskId: 'orphaned',
          expiresAt: running.status === 'running' ? running.expiresAt?.getTime() : null,
        },
      ]);
      release.resolve();
      expectCompleted(await waitFinished(handle));
      // Finished now: nothing is left in flight.
      expect((await listed('ex_silent'))!.inFlight).toEqual([]);
    });

    it('replaces an executor heartbeat and forgets executors silent for too long', async () => {
      const storage = engine.storage as typeof engine.storage & DurableStorageQueries;
      const now = Date.now();
      const beat = (executorId: string, heartbeatAt: number): ExecutorHeartbeat => ({
        executorId,
        host: 'h',
        pid: 1,
        version: 'v',
        taskIds: ['a'],
        runningExecutionIds: [],
        startedAt: now - 10_000,
        heartbeatAt,
        stoppedAt: null,
      });
      await storage.recordHeartbeat(beat('ex_old', now - 5_000), 0);
      await storage.recordHeartbeat(beat('ex_kept', now - 1_000), 0);
      await storage.recordHeartbeat({ ...beat('ex_kept', now), taskIds: ['a', 'b'] }, now - 2_000);
      const ids = (await storage.listExecutors(0)).map((e) => e.executorId);
      expect(ids).toContain('ex_kept');
      expect(ids).not.toContain('ex_old');
      const kept = (await storage.listExecutors(now)).find((e) => e.executorId === 'ex_kept');
      expect(kept).toMatchObject({ taskIds: ['a', 'b'], heartbeatAt: now });
    });
  });
}
