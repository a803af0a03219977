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
  /** Runs of the test's tasks in progress when the claim was requested. */
  runningAtRequest: number;
}

/**
 * The same store, recording every claim the executor makes (request limit, rows returned,
 * and what `running()` said when it was requested).
 */
function recordClaims(
  storage: DurableStorage,
  running: () => number = () => 0,
): { storage: DurableStorage; claims: ClaimRecord[] } {
  const claims: ClaimRecord[] = [];
  const recording = new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'claimReadyExecutions') {
        return async (request: ClaimRequest) => {
          const runningAtRequest = running();
          const rows = await target.claimReadyExecutions(request);
          claims.push({ limit: request.limit, claimed: rows.length, runningAtRequest });
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
      // Task code counts its runs: it starts as the claim hands the row over and ends before
      // the executor frees the slot, so it never counts more runs than the executor holds.
      let running = 0;
      let peak = 0;
      const { storage, claims } = recordClaims(engine.storage, () => running);
      const executor = engine.createExecutor(
        { maxConcurrentTaskExecutions: 3, maxTaskExecutionsPerBatch: 100 },
        storage,
      );
      const releases = Array.from({ length: 5 }, () => createDeferred());
      const task = executor.task({
        id: 'three_slots',
        timeoutMs: 5000,
        run: async (_c, n: number) => {
          running += 1;
          peak = Math.max(peak, running);
          await releases[n]?.promise;
          running -= 1;
          return n;
        },
      });
      const handles = await Promise.all(
        Array.from({ length: 5 }, (_, n) => executor.enqueueTask(task, n)),
      );
      executor.start();

      await waitFor(() => running === 3, { message: 'three runs to hold the three slots' });
      const started = async () =>
        (await Promise.all(handles.map((h) => h.getTaskExecution()))).filter(
          (e) => e.status !== 'ready',
        ).length;
      expect(await started()).toBe(3);
      // One run ends: its slot, and only it, goes to the next claim.
      const firstRunning = (await Promise.all(handles.map((h) => h.getTaskExecution())))
        .map((e, n) => (e.status === 'running' ? n : -1))
        .filter((n) => n >= 0);
      releases[firstRunning[0] ?? 0]?.resolve();
      await waitFor(async () => (await started()) === 4, { message: 'a fourth run to start' });
      for (const release of releases) release.resolve();
      for (const handle of handles) expectCompleted(await waitFinished(handle));

      expect(peak).toBe(3);
      for (const claim of claims) {
        expect(claim.limit).toBeLessThanOrEqual(3 - claim.runningAtRequest);
      }
      // The subtraction was exercised: a claim was made while runs held slots.
      expect(claims.some((c) => c.runningAtRequest > 0 && c.claimed > 0)).toBe(true);
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
