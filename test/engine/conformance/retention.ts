/**
 * Retention: an executor with `retentionMs` prunes whole finished trees in the background, in
 * bounded batches, while work keeps running; it never touches a tree with an active member
 * (a parent waiting for a sleeping child whose sibling finished long ago) or executions newer
 * than the retention. One executor at a time holds the retention lease.
 */
import { describe, expect, it } from 'vitest';
import { RETENTION_LEASE } from '@/server/engine';
import { waitFor } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

const FINISHED = 20_000;

export function describeRetention(factory: EngineStoreFactory): void {
  describe('retention', () => {
    const engine = useEngineHarness(factory);

    it(
      `prunes ${FINISHED.toLocaleString('en')} finished executions while work runs, no active tree touched`,
      {
        timeout: 240_000,
      },
      async () => {
        // Retention off while the backlog is built, so that its pruning overlaps new work.
        const builder = engine.createExecutor({ maxConcurrentTaskExecutions: 1000 });
        const defineTasks = (executor: typeof builder) => {
          const bulk = executor.task({ id: 'retained_bulk', timeoutMs: 10_000, run: () => 1 });
          const work = executor.task({
            id: 'retained_work',
            timeoutMs: 10_000,
            run: (_ctx, n: number) => n * 2,
          });
          const approval = executor.sleepingTask<string>({
            id: 'retained_approval',
            timeoutMs: 600_000,
          });
          const quick = executor.task({
            id: 'retained_quick',
            timeoutMs: 10_000,
            run: () => 'done',
          });
          const flow = executor.parentTask({
            id: 'retained_flow',
            timeoutMs: 10_000,
            runParent: () => ({
              output: null,
              childrenTasks: [
                { task: quick, input: undefined },
                { task: approval, input: 'retained-approval' },
              ],
            }),
          });
          return { bulk, work, approval, flow };
        };
        const built = defineTasks(builder);
        builder.start();
        const tree = await builder.enqueueTask(built.flow, undefined);
        await waitFor(
          async () => {
            const members = await builder.getExecutionTree(tree.getTaskExecutionId());
            return (
              members.some((m) => m.status === 'waiting_for_event') &&
              members.some((m) => m.status === 'completed')
            );
          },
          { timeoutMs: 10_000, message: 'the active tree to have a finished and a waiting member' },
        );
        const treeBefore = await builder.getExecutionTree(tree.getTaskExecutionId());
        for (let i = 0; i < FINISHED; i += 1000) {
          await builder.enqueueTasks(
            built.bulk,
            Array.from({ length: 1000 }, () => undefined),
          );
        }
        // Counted, not awaited one by one: a wait on long-finished executions falls back to polls.
        const bulkCompleted = async () =>
          (await builder.getExecutionStats()).byTask.find(
            (entry) => entry.taskId === 'retained_bulk' && entry.status === 'completed',
          )?.count ?? 0;
        await waitFor(async () => (await bulkCompleted()) === FINISHED, {
          timeoutMs: 120_000,
          intervalMs: 100,
          message: `${FINISHED} finished executions`,
        });
        await builder.shutdown();

        // Two executors with retention: one holds the lease and prunes, both keep running work.
        const options = { retentionMs: 200, retentionIntervalMs: 20, retentionBatchSize: 500 };
        const first = engine.createExecutor(options);
        const second = engine.createExecutor(options);
        const tasks = defineTasks(first);
        defineTasks(second);
        await delayUntilOlderThan(200);
        first.start();
        second.start();
        let work = 0;
        const bulkLeft = async () =>
          (await first.getExecutionStats()).byTask.find((entry) => entry.taskId === 'retained_bulk')
            ?.count ?? 0;
        while ((await bulkLeft()) > 0) {
          const handle = await first.enqueueTask(tasks.work, work);
          expect(expectCompleted(await waitFinished(handle)).output).toBe(work * 2);
          work += 1;
          if (work > 50_000) throw new Error('retention never finished');
        }
        expect(
          first.getRetention().prunedByThisExecutor + second.getRetention().prunedByThisExecutor,
        ).toBeGreaterThanOrEqual(FINISHED);
        // One executor at a time: the lease is held by the one that pruned.
        expect(
          [first, second].filter((executor) => executor.getRetention().prunedByThisExecutor > 0),
        ).toHaveLength(1);

        // The active tree, its finished child included, is intact.
        const treeAfter = await first.getExecutionTree(tree.getTaskExecutionId());
        expect(treeAfter.map((m) => [m.executionId, m.status])).toEqual(
          treeBefore.map((m) => [m.executionId, m.status]),
        );
        await first.wakeupSleepingTaskExecution(tasks.approval, 'retained-approval', {
          status: 'completed',
          output: 'yes',
        });
        expect((await waitFinished(tree)).status).toBe('completed');
      },
    );

    it('lets one owner hold the retention lease until it expires', async () => {
      const { storage } = engine;
      if (!storage.acquireMaintenanceLease) return;
      const lease = (owner: string, now: number) =>
        storage.acquireMaintenanceLease!({ name: RETENTION_LEASE, owner, now, ttlMs: 1000 });
      expect(await lease('a', 1_000)).toBe(true);
      expect(await lease('b', 1_500)).toBe(false);
      expect(await lease('a', 1_600)).toBe(true);
      expect(await lease('b', 2_500)).toBe(false);
      expect(await lease('b', 2_601)).toBe(true);
      expect(await lease('a', 2_700)).toBe(false);
    });
  });
}

/** Waits until executions finished now are older than `ms` (real time: finishedAt is stored). */
async function delayUntilOlderThan(ms: number): Promise<void> {
  const until = Date.now() + ms + 1;
  await waitFor(() => Date.now() > until, { timeoutMs: ms + 1000, intervalMs: ms / 4 });
}
