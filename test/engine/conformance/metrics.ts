/** The metrics page's figures: counts by status, percentiles from bins, failure rate, backlog. */
import { describe, expect, it } from 'vitest';
import { DURATION_BIN_EDGES_MS } from '@/server/engine';
import { createDeferred, waitFor } from '../helpers';
import { useEngineHarness, waitFinished, type EngineStoreFactory } from './harness';

export function describeMetrics(factory: EngineStoreFactory): void {
  describe('metrics', () => {
    const engine = useEngineHarness(factory);

    it('counts finishes by status, reads percentiles off bins and derives the backlog', async () => {
      const executor = engine.createExecutor();
      const ok = executor.task({ id: 'metricOk', timeoutMs: 5000, run: () => 'ok' });
      const bad = executor.task({
        id: 'metricBad',
        timeoutMs: 5000,
        run: () => {
          throw new Error('nope');
        },
      });
      const hold = createDeferred();
      const held = executor.task({
        id: 'metricHeld',
        timeoutMs: 5000,
        run: async () => {
          await hold.promise;
          return 'held';
        },
      });
      executor.start();
      const done = [
        ...(await executor.enqueueTasks(ok, [undefined, undefined, undefined])),
        await executor.enqueueTask(bad, undefined),
      ];
      for (const handle of done) await waitFinished(handle);
      const running = await executor.enqueueTask(held, undefined);
      await waitFor(async () => (await running.getTaskExecution()).status === 'running', {
        message: 'the held run',
      });

      const all = await executor.getExecutionMetrics('hour');
      expect(all.points).toHaveLength(60);
      expect(all.bucketMs).toBe(60_000);
      expect(all.totals.finished).toEqual({ completed: 3, failed: 1 });
      expect(all.totals.enqueued).toBe(5);
      expect(all.totals.failureRate).toBe(0.25);
      expect(all.totals.backlogNow).toBe(1);
      expect(DURATION_BIN_EDGES_MS).toContain(all.totals.run.p50);
      expect(DURATION_BIN_EDGES_MS).toContain(all.totals.queueWait.p95);
      // Within the last minute or two (a test may cross a minute); before that, nothing was active.
      const busy = all.points.filter((point) => Object.keys(point.finished).length > 0);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      expect(busy.length).toBeLessThanOrEqual(2);
      expect(all.points.at(-1)!.backlog).toBe(1);
      expect(all.points[0]!.backlog).toBe(0);

      const one = await executor.getExecutionMetrics('day', 'metricBad');
      expect(one.points).toHaveLength(72);
      expect(one.totals.finished).toEqual({ failed: 1 });
      expect(one.totals.failureRate).toBe(1);
      expect(one.totals.backlogNow).toBe(0);
      hold.resolve();
      await waitFinished(running);
    });
  });
}
