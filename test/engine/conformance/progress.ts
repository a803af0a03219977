/** `ctx.progress`: coalesced writes, the last value stored, late reports of a lost lease dropped. */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { DurableStorage, ProgressUpdate } from '@/server/engine';
import {
  useEngineHarness,
  waitFinished,
  expectCompleted,
  type EngineStoreFactory,
} from './harness';

export function describeProgress(factory: EngineStoreFactory): void {
  describe('progress', () => {
    const engine = useEngineHarness(factory);

    it('coalesces a tight loop into a few writes and stores the last value', async () => {
      const writes: ProgressUpdate[][] = [];
      const base = engine.storage;
      const counting: DurableStorage = Object.create(base) as DurableStorage;
      counting.updateProgress = (updates, now) => {
        writes.push([...updates]);
        return base.updateProgress(updates, now);
      };
      const executor = engine.createExecutor({}, counting);
      const loop = executor.task({
        id: 'progressLoop',
        timeoutMs: 10_000,
        run: async (ctx, total: number) => {
          const until = Date.now() + 600;
          let current = 0;
          while (Date.now() < until) {
            current++;
            ctx.progress({ current, total, message: `step ${current}` });
            if (current % 100 === 0) await yieldToLoop();
          }
          ctx.progress({ current: total, total, message: 'done' });
          return current;
        },
      });
      executor.start();
      const handle = await executor.enqueueTask(loop, 1_000_000);
      const execution = expectCompleted(await waitFinished(handle));
      expect(execution.output).toBeGreaterThan(1_000);
      // 600 ms at one write per 250 ms, the first at once, and the flush at the end.
      expect(writes.length).toBeGreaterThanOrEqual(2);
      expect(writes.length).toBeLessThanOrEqual(5);
      expect(execution.progress).toEqual({ current: 1_000_000, total: 1_000_000, message: 'done' });
    });

    it('drops progress under a stale lease token or of an execution not running', async () => {
      const executor = engine.createExecutor();
      const quick = executor.task({ id: 'quick', timeoutMs: 1_000, run: () => 1 });
      executor.start();
      const handle = await executor.enqueueTask(quick, undefined);
      await waitFinished(handle);
      const id = handle.getTaskExecutionId();
      const row = await engine.storage.getExecution(id);
      const update = { executionId: id, leaseToken: row!.leaseToken, progress: '{"current":1}' };
      expect(await engine.storage.updateProgress([update], Date.now())).toEqual([]);
      expect((await engine.storage.getExecution(id))!.progress).toBeNull();
    });
  });
}
