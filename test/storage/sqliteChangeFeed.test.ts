/**
 * SQLite's change feed: stores on one file (each its own connection, as processes have) hear
 * each other's commits without the engine's polls. Every poll here is set to a minute, so
 * only the feed can end these waits in time.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DurableExecutor } from '@/server/engine';
import type { StorageNotification } from '@/server/engine/storage';
import { createPrismaStorage } from '@/server/storage';
import { newRow, silentLogger, sqliteFixture, T0, until } from './fixtures';

const fixture = sqliteFixture();
afterAll(() => fixture.dispose());

const MINUTE = 60_000;

describe('SQLite change feed', () => {
  it('hands a waiter the row another store finished, without a read', async () => {
    const waiterStore = await fixture.open();
    const runnerStore = await fixture.openSibling();
    const reads = vi.spyOn(waiterStore, 'getExecutions');
    const waiter = new DurableExecutor(waiterStore, { logger: silentLogger });
    const runner = new DurableExecutor(runnerStore, {
      logger: silentLogger,
      backgroundProcessIntraBatchSleepMs: MINUTE,
    });
    const define = (executor: DurableExecutor) =>
      executor.task({ id: 'double', timeoutMs: 5000, run: (_ctx, n: number) => ({ n: n * 2 }) });
    const task = define(waiter);
    define(runner);
    runner.start();
    try {
      // The runner's backstop sleeps a minute: it claims because the feed announced the enqueue.
      const handle = await waiter.enqueueTask(task, 21);
      const finished = await handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: MINUTE });
      expect(finished.status === 'completed' && finished.output).toEqual({ n: 42 });
      expect(finished.finishedAt).toBeInstanceOf(Date);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      await Promise.all([waiter.shutdown(), runner.shutdown()]);
    }
  }, 20_000);

  it('aborts running code when another store cancels its execution', async () => {
    const cancellerStore = await fixture.open();
    const runnerStore = await fixture.openSibling();
    const canceller = new DurableExecutor(cancellerStore, { logger: silentLogger });
    const runner = new DurableExecutor(runnerStore, {
      logger: silentLogger,
      backgroundProcessIntraBatchSleepMs: MINUTE,
    });
    let started = false;
    let aborted = false;
    const define = (executor: DurableExecutor) =>
      executor.task({
        id: 'long',
        timeoutMs: MINUTE,
        run: async ({ cancelSignal }) => {
          started = true;
          await new Promise<void>((resolve) => cancelSignal.onCancelled(() => resolve()));
          aborted = true;
        },
      });
    const task = define(canceller);
    define(runner);
    runner.start();
    try {
      const handle = await canceller.enqueueTask(task, undefined);
      await until(() => started);
      await handle.cancel();
      await until(() => aborted);
      const finished = await handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: MINUTE });
      expect(finished.status).toBe('cancelled');
    } finally {
      await Promise.all([canceller.shutdown(), runner.shutdown({ timeoutMs: 1000 })]);
    }
  }, 20_000);

  it('announces each of a burst of finishes once, in batches larger than a look', async () => {
    const writer = await fixture.open();
    const reader = await fixture.openSibling();
    const received: StorageNotification[] = [];
    const unsubscribe = reader.subscribe!((notification) => received.push(notification));
    const count = 3_000;
    await writer.insertExecutions(
      Array.from({ length: count }, (_, i) => newRow(`b${i}`, 'a', { startAt: T0 })),
    );
    const claimed = await writer.claimReadyExecutions({
      taskIds: ['a'],
      limit: count,
      now: Date.now(),
      expireMs: MINUTE,
    });
    expect(claimed).toHaveLength(count);
    for (let i = 0; i < count; i += 500) {
      await writer.applyRunResults(
        claimed.slice(i, i + 500).map((row) => ({
          executionId: row.executionId,
          leaseToken: row.leaseToken,
          outcome: { kind: 'completed', runOutput: null, output: `"${row.executionId}"` },
        })),
        Date.now(),
      );
    }
    const finishedIds = () =>
      received.flatMap((n) => (n.type === 'finished' ? n.executionIds : []));
    await until(() => finishedIds().length >= count);
    unsubscribe();
    expect(finishedIds()).toHaveLength(count);
    expect(new Set(finishedIds()).size).toBe(count);
    const rows = received.flatMap((n) => (n.type === 'finished' ? (n.rows ?? []) : []));
    expect(rows.find((row) => row.executionId === 'b7')?.output).toBe('"b7"');
    expect(received.some((n) => n.type === 'work_ready')).toBe(true);
  }, 30_000);

  it("leaves out this store's own finishes, which its executor announced itself", async () => {
    const own = await fixture.open();
    const other = await fixture.openSibling();
    const received: StorageNotification[] = [];
    const unsubscribe = own.subscribe!((notification) => received.push(notification));
    const finish = async (storage: typeof own, id: string) => {
      await storage.insertExecutions([newRow(id, id)]);
      const [claimed] = await storage.claimReadyExecutions({
        taskIds: [id],
        limit: 1,
        now: Date.now(),
        expireMs: MINUTE,
      });
      await storage.applyRunResults(
        [
          {
            executionId: id,
            leaseToken: claimed!.leaseToken,
            outcome: { kind: 'completed', runOutput: null, output: '1' },
          },
        ],
        Date.now(),
      );
    };
    await finish(own, 'mine');
    await finish(other, 'theirs');
    const finishedIds = () =>
      received.flatMap((n) => (n.type === 'finished' ? n.executionIds : []));
    // The other store's commits make the feed look; what it finds then includes 'mine'.
    await until(() => finishedIds().includes('theirs'));
    expect(finishedIds()).toEqual(['theirs']);
    unsubscribe();
  });

  it('is off when the store is opened without listening', async () => {
    const storage = await createPrismaStorage({
      url: `${fixture.url()}`,
      logger: silentLogger,
      listen: false,
    });
    try {
      expect(Reflect.get(storage, 'subscribe')).toBeUndefined();
    } finally {
      await storage.close();
    }
  });
});
