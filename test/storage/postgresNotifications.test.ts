/** LISTEN/NOTIFY between stores on one PostgreSQL database, and the fallback without it. */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DurableExecutor } from '@/server/engine';
import type { StorageNotification } from '@/server/engine/storage';
import type { PrismaStorage } from '@/server/storage';
import { PgListener } from '@/server/storage/postgres/listener';
import { newRow, postgresFixture, silentLogger, T0, until } from './fixtures';

const fixture = postgresFixture();
afterAll(() => fixture.dispose());

const CANCELLED = {
  errorType: 'cancelled',
  message: 'Task cancelled',
  isRetryable: false,
} as const;

function collect(storage: PrismaStorage) {
  const received: StorageNotification[] = [];
  if (!storage.subscribe) throw new Error('expected a subscription');
  const unsubscribe = storage.subscribe((notification) => received.push(notification));
  const idsOf = (type: 'cancelled' | 'finished') =>
    received.flatMap((n) => (n.type === type ? n.executionIds : []));
  return { received, idsOf, unsubscribe };
}

describe('PostgreSQL notifications', () => {
  it('wake other stores: work ready, cancelled and finished ids', async () => {
    const writer = await fixture.open();
    const reader = await fixture.openSibling();
    const inbox = collect(reader);
    await writer.insertExecutions([newRow('n1', 'a')]);
    await until(() => inbox.received.some((n) => n.type === 'work_ready'));

    // A cancelled tree of 1,000 children: more ids than one NOTIFY payload can carry.
    const children = Array.from({ length: 1000 }, (_, index) =>
      newRow(`n1_child_with_a_long_execution_id_${index}`, 'c', {
        parent: { taskId: 'a', executionId: 'n1', index },
      }),
    );
    const [claimed] = await writer.claimReadyExecutions({
      taskIds: ['a'],
      limit: 1,
      now: T0,
      expireMs: 1000,
    });
    await writer.applyRunResults(
      [
        {
          executionId: 'n1',
          leaseToken: claimed!.leaseToken,
          outcome: { kind: 'waiting_for_children', runOutput: '1', children },
        },
      ],
      T0 + 1,
    );
    const { cancelledExecutionIds } = await writer.cancelExecution('n1', CANCELLED, T0 + 2);
    expect(cancelledExecutionIds).toHaveLength(1001);
    await until(() => inbox.idsOf('cancelled').length === 1001);
    expect(new Set(inbox.idsOf('cancelled'))).toEqual(new Set(cancelledExecutionIds));
    await until(() => inbox.idsOf('finished').length === 1001);
    inbox.unsubscribe();
  });

  it('falls back to polling, with an error logged, when notifications do not arrive', async () => {
    await fixture.open();
    const logger = { ...silentLogger, error: vi.fn() };
    const listener = new PgListener(fixture.url(), 'durably', logger);
    // A probe that is never sent stands for a LISTEN that does not deliver (a pooler).
    expect(await listener.start(() => Promise.resolve())).toBe(false);
    expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/falling back to polling/));
  });

  it('does not echo a store its own notifications', async () => {
    const writer = await fixture.open();
    const other = await fixture.openSibling();
    const inbox = collect(writer);
    // The writer's own work_ready and cancelled notifications, then the other store's.
    await writer.insertExecutions([newRow('echo1', 'a')]);
    await writer.cancelExecution('echo1', CANCELLED, T0);
    await other.insertExecutions([newRow('echo2', 'a')]);
    await other.cancelExecution('echo2', CANCELLED, T0);
    // Notifications arrive in commit order: once the other store's last one is in, every
    // earlier one, the writer's own included, would be in too had it been echoed.
    await until(() => inbox.idsOf('cancelled').includes('echo2'));
    expect(inbox.received.filter((n) => n.type === 'work_ready')).toHaveLength(1);
    expect(inbox.idsOf('cancelled')).toEqual(['echo2']);
    expect(inbox.idsOf('finished')).not.toContain('echo1');
    inbox.unsubscribe();
  });

  it('lets an executor that runs nothing hear a finish from an executor in another store', async () => {
    const waiterStore = await fixture.open();
    const runnerStore = await fixture.openSibling();
    const waiter = new DurableExecutor(waiterStore, { logger: silentLogger });
    const runner = new DurableExecutor(runnerStore, {
      logger: silentLogger,
      backgroundProcessIntraBatchSleepMs: 60_000,
    });
    const define = (executor: DurableExecutor) =>
      executor.task({ id: 'double', timeoutMs: 1000, run: (_ctx, n: number) => n * 2 });
    const task = define(waiter);
    define(runner);
    runner.start();
    try {
      const handle = await waiter.enqueueTask(task, 21);
      // With a one-minute poll, only the runner's NOTIFY can end this wait in time.
      const finished = await handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: 60_000 });
      expect(finished.status === 'completed' && finished.output).toBe(42);
    } finally {
      await Promise.all([waiter.shutdown(), runner.shutdown()]);
    }
  }, 20_000);

  describe('a waiter in another store', () => {
    async function waitAcrossStores(output: (n: number) => unknown) {
      const waiterStore = await fixture.open();
      const runnerStore = await fixture.openSibling();
      const reads = vi.spyOn(waiterStore, 'getExecutions');
      const waiter = new DurableExecutor(waiterStore, { logger: silentLogger });
      const runner = new DurableExecutor(runnerStore, { logger: silentLogger });
      const define = (executor: DurableExecutor) =>
        executor.task({ id: 'make', timeoutMs: 1000, run: (_ctx, n: number) => output(n) });
      const task = define(waiter);
      define(runner);
      runner.start();
      try {
        const handle = await waiter.enqueueTask(task, 21);
        const finished = await handle.waitAndGetTaskFinishedExecution({
          pollingIntervalMs: 60_000,
        });
        return { finished, reads: reads.mock.calls.length };
      } finally {
        reads.mockRestore();
        await Promise.all([waiter.shutdown(), runner.shutdown()]);
      }
    }

    it('gets the finished row with the notification, without reading it back', async () => {
      const before = Date.now();
      const { finished, reads } = await waitAcrossStores((n) => ({ doubled: n * 2 }));
      expect(reads).toBe(0);
      expect(finished.status).toBe('completed');
      if (finished.status !== 'completed') return;
      expect(finished.output).toEqual({ doubled: 42 });
      expect(finished.runInput).toBe(21);
      expect(finished.taskId).toBe('make');
      expect(finished.finishedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(finished.startedAt?.getTime()).toBeLessThanOrEqual(finished.finishedAt.getTime());
    }, 20_000);

    it('reads the row back when it is too large for a notification', async () => {
      const { finished, reads } = await waitAcrossStores((n) => 'x'.repeat(10_000 + n));
      expect(reads).toBeGreaterThan(0);
      expect(finished.status === 'completed' && finished.output).toBe('x'.repeat(10_021));
    }, 20_000);
  });
});
