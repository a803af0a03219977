/**
 * The backstop loop redoes follow-ups that failed, and one execution whose follow-up keeps
 * failing (a poison execution) never blocks the others.
 */
import { describe, expect, it } from 'vitest';
import type { DurableStorage } from '@/server/engine';
import { waitFor } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeBackstop(factory: EngineStoreFactory): void {
  describe('backstop loop', () => {
    const engine = useEngineHarness(factory);

    it('keeps closing other executions while one close always fails', async () => {
      const failedOnce = new Set<string>();
      const taskOf = async (id: string) => (await engine.storage.getExecution(id))?.taskId;
      // Closes of `poison` children always fail; the first close of any other child fails
      // too, so that only the backstop loop can finish its parent.
      const storage: DurableStorage = Object.create(engine.storage, {
        closeExecutions: {
          value: async (ids: string[], now: number) => {
            for (const id of ids) {
              const taskId = await taskOf(id);
              if (taskId === 'poison') throw new Error(`poisoned close of ${id}`);
              if (taskId === 'healthy' && !failedOnce.has(id)) {
                failedOnce.add(id);
                throw new Error(`first close of ${id} fails`);
              }
            }
            return engine.storage.closeExecutions(ids, now);
          },
        },
      }) as DurableStorage;
      const executor = engine.createExecutor({}, storage);
      const poison = executor.task({ id: 'poison', timeoutMs: 1000, run: () => 1 });
      const healthy = executor.task({ id: 'healthy', timeoutMs: 1000, run: () => 2 });
      const parentOf = (id: string, child: typeof poison) =>
        executor.parentTask({
          id,
          timeoutMs: 1000,
          runParent: () => ({ output: id, childrenTasks: [{ task: child, input: undefined }] }),
        });
      const poisonedParent = parentOf('poisoned_parent', poison);
      const healthyParent = parentOf('healthy_parent', healthy);
      executor.start();

      // The poison child finishes first, so it is listed first by the backstop loop.
      const stuck = await executor.enqueueTask(poisonedParent, undefined);
      await waitFor(async () => {
        const children = await engine.storage.getChildren(stuck.getTaskExecutionId());
        return children[0]?.status === 'completed';
      });
      const finished = expectCompleted(
        await waitFinished(await executor.enqueueTask(healthyParent, undefined)),
      );
      expect(finished.output.childrenTasksOutputs.map((c) => c.output)).toEqual([2]);
      expect((await stuck.getTaskExecution()).status).toBe('waiting_for_children_tasks');
    });
  });
}
