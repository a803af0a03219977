/**
 * An enqueue that its own idle executor can run is inserted already claimed and started: one
 * write, no claim. Everything else (a delayed row, a flow-limited task, a row behind others
 * waiting for a slot) still goes through the claim, in claim order.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimRequest, DurableStorage, WriteBatch } from '@/server/engine';
import { createDeferred, waitFor } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

interface Recorded {
  storage: DurableStorage;
  /** Claims that returned. */
  claims: number;
  /** Execution ids the executor inserted already claimed. */
  claimedInserts: string[];
  /** Execution ids it inserted ready. */
  readyInserts: string[];
  /** Until released, writes with claimed inserts wait (when set). */
  holdClaimedInserts: Promise<void> | null;
}

function recordWrites(storage: DurableStorage): Recorded {
  const recorded: Recorded = {
    storage,
    claims: 0,
    claimedInserts: [],
    readyInserts: [],
    holdClaimedInserts: null,
  };
  recorded.storage = new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'claimReadyExecutions') {
        return async (request: ClaimRequest) => {
          const rows = await target.claimReadyExecutions(request);
          recorded.claims += 1;
          return rows;
        };
      }
      if (property === 'write') {
        return async (batch: WriteBatch) => {
          recorded.claimedInserts.push(...batch.claimedInserts.map((row) => row.executionId));
          recorded.readyInserts.push(...batch.inserts.map((row) => row.executionId));
          if (batch.claimedInserts.length > 0) await recorded.holdClaimedInserts;
          return target.write(batch);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return recorded;
}

/** No backstop claims during a test: a claim in flight rightly sends an enqueue to the next one. */
const QUIET = { backgroundProcessIntraBatchSleepMs: 60_000 };

export function describeDirectStarts(factory: EngineStoreFactory): void {
  describe('direct starts', () => {
    const engine = useEngineHarness(factory);

    it('starts an enqueue of an idle executor without a claim, one write each', async () => {
      const recorded = recordWrites(engine.storage);
      const executor = engine.createExecutor(QUIET, recorded.storage);
      const task = executor.task({ id: 'direct', timeoutMs: 1000, run: (_c, n: number) => n * 2 });
      executor.start();
      await waitFor(() => recorded.claims > 0, { message: 'the first (empty) claim' });

      const ids: string[] = [];
      for (let n = 0; n < 3; n++) {
        const handle = await executor.enqueueTask(task, n);
        ids.push(handle.getTaskExecutionId());
        expect(expectCompleted(await waitFinished(handle)).output).toBe(n * 2);
      }
      expect(recorded.claimedInserts).toEqual(ids);
      expect(recorded.readyInserts).toEqual([]);
    });

    it('returns the holder of a taken idempotency key and frees the reserved slot', async () => {
      const recorded = recordWrites(engine.storage);
      const executor = engine.createExecutor(
        { ...QUIET, maxConcurrentTaskExecutions: 1 },
        recorded.storage,
      );
      const task = executor.task({
        id: 'direct_keyed',
        timeoutMs: 1000,
        run: (_c, n: number) => n,
      });
      executor.start();
      await waitFor(() => recorded.claims > 0, { message: 'the first (empty) claim' });

      const first = await executor.enqueueTask(task, 1, { idempotencyKey: 'k' });
      expectCompleted(await waitFinished(first));
      const again = await executor.enqueueTask(task, 2, { idempotencyKey: 'k' });
      expect(again.getTaskExecutionId()).toBe(first.getTaskExecutionId());
      expect(again.created).toBe(false);
      // The one slot is free again: the next enqueue starts directly too.
      const next = await executor.enqueueTask(task, 3);
      expect(expectCompleted(await waitFinished(next)).output).toBe(3);
      expect(recorded.claimedInserts).toHaveLength(3);
      expect(recorded.claimedInserts[2]).toBe(next.getTaskExecutionId());
    });

    it('leaves delayed rows, flow-limited tasks and rows behind a full executor to the claim', async () => {
      const recorded = recordWrites(engine.storage);
      const executor = engine.createExecutor(
        { ...QUIET, maxConcurrentTaskExecutions: 1 },
        recorded.storage,
      );
      const release = createDeferred();
      const order: string[] = [];
      const task = executor.task({
        id: 'one_slot',
        timeoutMs: 5000,
        run: async (_c, name: string) => {
          order.push(name);
          if (name === 'first') await release.promise;
          return name;
        },
      });
      const limited = executor.task({
        id: 'limited',
        timeoutMs: 1000,
        concurrency: { limit: 1 },
        run: (_c, name: string) => name,
      });
      executor.start();
      await waitFor(() => recorded.claims > 0, { message: 'the first (empty) claim' });

      const first = await executor.enqueueTask(task, 'first');
      await waitFor(() => order.length === 1, { message: 'the first run' });
      const low = await executor.enqueueTask(task, 'low');
      const high = await executor.enqueueTask(task, 'high', { priority: 5 });
      release.resolve();
      for (const handle of [first, low, high]) expectCompleted(await waitFinished(handle));
      // Priority decides once the slot frees: the later, higher one runs first.
      expect(order).toEqual(['first', 'high', 'low']);

      const delayed = await executor.enqueueTask(task, 'delayed', { sleepMsBeforeRun: 20 });
      const flowLimited = await executor.enqueueTask(limited, 'limited');
      expectCompleted(await waitFinished(delayed));
      expectCompleted(await waitFinished(flowLimited));
      expect(recorded.claimedInserts).toEqual([first.getTaskExecutionId()]);
      expect(recorded.readyInserts).toEqual(
        expect.arrayContaining(
          [low, high, delayed, flowLimited].map((h) => h.getTaskExecutionId()),
        ),
      );
    });

    it('runs a direct start whose insert commits during shutdown, before shutdown returns', async () => {
      const recorded = recordWrites(engine.storage);
      const held = createDeferred();
      recorded.holdClaimedInserts = held.promise;
      const executor = engine.createExecutor(QUIET, recorded.storage);
      let ran = false;
      const task = executor.task({
        id: 'late_start',
        timeoutMs: 1000,
        run: () => {
          ran = true;
          return 'ran';
        },
      });
      executor.start();
      await waitFor(() => recorded.claims > 0, { message: 'the first (empty) claim' });

      const enqueued = executor.enqueueTask(task, undefined);
      await waitFor(() => recorded.claimedInserts.length === 1, { message: 'the held write' });
      const stopped = executor.shutdown();
      held.resolve();
      await stopped;
      expect(ran).toBe(true);
      const stored = await engine.storage.getExecution((await enqueued).getTaskExecutionId());
      expect(stored?.status).toBe('completed');
    });
  });
}
