/** How executions are claimed: in batches bounded by the options, with the documented lease. */
import { describe, expect, it } from 'vitest';
import type { ClaimRequest, DurableStorage } from '@/server/engine';
import { createDeferred, waitFor } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

interface ClaimRecord {
  limit: number;
  claimed: number;
}

/** The same store, recording every claim the executor makes (request limit, rows returned). */
function recordClaims(storage: DurableStorage): { storage: DurableStorage; claims: ClaimRecord[] } {
  const claims: ClaimRecord[] = [];
  const recording = new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'claimReadyExecutions') {
        return async (request: ClaimRequest) => {
          const rows = await target.claimReadyExecutions(request);
          claims.push({ limit: request.limit, claimed: rows.length });
          return rows;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { storage: recording, claims };
}

export function describeClaims(factory: EngineStoreFactory): void {
  describe('claims', () => {
    const engine = useEngineHarness(factory);

    it('claims many ready executions at once, up to maxTaskExecutionsPerBatch', async () => {
      const { storage, claims } = recordClaims(engine.storage);
      const executor = engine.createExecutor({ maxTaskExecutionsPerBatch: 4 }, storage);
      const task = executor.task({ id: 'batched', timeoutMs: 1000, run: (_c, n: number) => n });
      const handles = await Promise.all(
        Array.from({ length: 10 }, (_, n) => executor.enqueueTask(task, n)),
      );
      executor.start();

      for (const handle of handles) expectCompleted(await waitFinished(handle));
      expect(claims.every((claim) => claim.limit <= 4 && claim.claimed <= 4)).toBe(true);
      expect(Math.max(...claims.map((claim) => claim.claimed))).toBe(4);
    });

    it('claims no more than the free slots of maxConcurrentTaskExecutions', async () => {
      const { storage, claims } = recordClaims(engine.storage);
      const executor = engine.createExecutor({ maxConcurrentTaskExecutions: 2 }, storage);
      const task = executor.task({ id: 'two_slots', timeoutMs: 1000, run: (_c, n: number) => n });
      const handles = await Promise.all(
        Array.from({ length: 6 }, (_, n) => executor.enqueueTask(task, n)),
      );
      executor.start();

      for (const handle of handles) expectCompleted(await waitFinished(handle));
      expect(claims.every((claim) => claim.limit <= 2)).toBe(true);
    });

    it('leases a running execution until startedAt + timeoutMs + expireMs', async () => {
      const executor = engine.createExecutor({ expireMs: 5000 });
      const release = createDeferred();
      const task = executor.task({
        id: 'leased',
        timeoutMs: 1500,
        run: async () => {
          await release.promise;
          return 'released';
        },
      });
      executor.start();

      const handle = await executor.enqueueTask(task, undefined);
      await waitFor(async () => (await handle.getTaskExecution()).status === 'running', {
        message: 'the execution to run',
      });
      const running = await handle.getTaskExecution();
      expect(running.startedAt).toBeInstanceOf(Date);
      expect(running.expiresAt).toBeInstanceOf(Date);
      expect((running.expiresAt?.getTime() ?? 0) - (running.startedAt?.getTime() ?? 0)).toBe(6500);

      release.resolve();
      const finished = expectCompleted(await waitFinished(handle));
      expect(finished.expiresAt).toBeUndefined();
    });
  });
}
