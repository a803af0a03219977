/**
 * 4 worker processes (real OS processes) on one database run 2,000 executions, 50 of them
 * parents of 20 children with a finalize task: every run function executes exactly once
 * (recorded outside the engine) and every tree completes.
 */
import { describe, expect, it } from 'vitest';
import { createPrismaStorage } from '@/server/storage';
import { silentLogger } from './fixtures';
import { createClient, databaseTargets, waitUntilIdle, WorkerPool } from './processes/harness';
import { CHILDREN_PER_PARENT } from './processes/tasks';

const PARENTS = 50;
const LEAVES = 2000 - PARENTS * (CHILDREN_PER_PARENT + 2);

describe.each(databaseTargets())('4 worker processes on one %s', (_name, createUrl) => {
  it('run 2,000 executions, each run function exactly once', { timeout: 240_000 }, async () => {
    const url = await createUrl();
    const storage = await createPrismaStorage({ url, logger: silentLogger });
    const pool = new WorkerPool(url, { POLL_MS: '100' });
    try {
      const workers = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((id) => pool.start(id)));
      const { executor, tasks } = createClient(storage);
      const parents: string[] = [];
      for (let i = 0; i < Math.max(PARENTS, LEAVES); i += 1) {
        if (i < PARENTS) {
          const handle = await executor.enqueueTask(tasks.parent, { p: i });
          parents.push(handle.getTaskExecutionId());
        }
        if (i < LEAVES) await executor.enqueueTask(tasks.leaf, { n: i, sleepMs: i % 3 });
      }

      expect(await waitUntilIdle(storage, 2000, 180_000)).toEqual({ completed: 2000 });
      const starts = pool.records().filter((record) => record.event === 'start');
      const byExecution = new Map<string, number>();
      for (const start of starts) {
        byExecution.set(start.executionId, (byExecution.get(start.executionId) ?? 0) + 1);
      }
      expect(byExecution.size).toBe(2000);
      expect([...byExecution.values()].every((count) => count === 1)).toBe(true);
      expect(starts.every((start) => start.attempt === 0)).toBe(true);
      expect(new Set(starts.map((start) => start.worker)).size).toBe(4);
      for (const id of parents) {
        const handle = await executor.getTaskHandle(tasks.parent, id);
        const execution = await handle.getTaskExecution();
        expect(execution).toMatchObject({ status: 'completed', output: 190 });
      }
      const exitCodes = await Promise.all(workers.map((worker) => worker.stop()));
      expect(exitCodes).toEqual([0, 0, 0, 0]);
    } finally {
      await pool.dispose();
      await storage.close();
    }
  });
});
