/**
 * Flow control on every store: idempotent enqueue (sequential, concurrent, after finish, after
 * its TTL, bulk, children), concurrency limits per task and per key (exact across executors,
 * no head-of-line blocking), priorities, and rate limits.
 */
import { describe, expect, it } from 'vitest';
import { DurableOptionsError } from '@/server/engine';
import { createDeferred, delay, waitFor } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

/** Counts simultaneous runs per key and overall, as the running code sees them. */
function concurrencyProbe() {
  const running = new Map<string, number>();
  const peaks = new Map<string, number>();
  let total = 0;
  let peakTotal = 0;
  return {
    peaks,
    peakTotal: () => peakTotal,
    async during<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const now = (running.get(key) ?? 0) + 1;
      running.set(key, now);
      peaks.set(key, Math.max(peaks.get(key) ?? 0, now));
      total += 1;
      peakTotal = Math.max(peakTotal, total);
      try {
        return await fn();
      } finally {
        running.set(key, (running.get(key) ?? 1) - 1);
        total -= 1;
      }
    },
  };
}

export function describeFlowControl(factory: EngineStoreFactory): void {
  describe('flow control', () => {
    const engine = useEngineHarness(factory);

    describe('idempotent enqueue', () => {
      it('returns the first execution for a repeated key, whatever its state', async () => {
        const executor = engine.createExecutor();
        let runs = 0;
        const task = executor.task({
          id: 'idem_once',
          timeoutMs: 1000,
          run: (_ctx, n: number) => {
            runs += 1;
            return n * 2;
          },
        });
        const other = executor.task({
          id: 'idem_other',
          timeoutMs: 1000,
          run: (_c, n: number) => n,
        });
        const first = await executor.enqueueTask(task, 1, { idempotencyKey: 'order-1' });
        expect(first.created).toBe(true);
        // Before it ran: the same execution, nothing new stored.
        const again = await executor.enqueueTask(task, 99, { idempotencyKey: 'order-1' });
        expect(again.created).toBe(false);
        expect(again.getTaskExecutionId()).toBe(first.getTaskExecutionId());
        // Keys are per task: another task may use the same one.
        expect((await executor.enqueueTask(other, 1, { idempotencyKey: 'order-1' })).created).toBe(
          true,
        );
        executor.start();
        expect(expectCompleted(await waitFinished(first)).output).toBe(2);
        // After it finished: still the first execution, finished, and it ran once.
        const late = await executor.enqueueTask(task, 5, { idempotencyKey: 'order-1' });
        expect(late.created).toBe(false);
        expect(late.getTaskExecutionId()).toBe(first.getTaskExecutionId());
        expect((await late.getTaskExecution()).status).toBe('completed');
        expect(runs).toBe(1);
        const page = await executor.listExecutions({ taskId: 'idem_once', limit: 10 });
        expect(page.items).toHaveLength(1);
        expect(page.items[0]?.idempotencyKey).toBe('order-1');
      });

      it('creates exactly one execution for 50 concurrent enqueues of one key', async () => {
        const executors = [0, 1, 2].map(() => engine.createExecutor());
        const tasks = executors.map((executor) =>
          executor.task({ id: 'idem_race', timeoutMs: 1000, run: () => 'ran' }),
        );
        const handles = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            executors[i % 3]!.enqueueTask(tasks[i % 3]!, undefined, {
              idempotencyKey: 'webhook-7',
            }),
          ),
        );
        expect(handles.filter((handle) => handle.created)).toHaveLength(1);
        expect(new Set(handles.map((handle) => handle.getTaskExecutionId())).size).toBe(1);
        const page = await executors[0]!.listExecutions({ taskId: 'idem_race', limit: 100 });
        expect(page.items).toHaveLength(1);
      });

      it('takes a key over once its TTL has passed', async () => {
        const executor = engine.createExecutor();
        const task = executor.task({ id: 'idem_ttl', timeoutMs: 1000, run: (_c, n: number) => n });
        executor.start();
        const first = await executor.enqueueTask(task, 1, {
          idempotencyKey: 'k',
          idempotencyTtlMs: 40,
        });
        await waitFinished(first);
        const expiredAt = Date.now() + 50;
        await waitFor(() => Date.now() > expiredAt);
        const second = await executor.enqueueTask(task, 2, { idempotencyKey: 'k' });
        expect(second.created).toBe(true);
        expect(second.getTaskExecutionId()).not.toBe(first.getTaskExecutionId());
        expect(expectCompleted(await waitFinished(second)).output).toBe(2);
      });

      it('dedupes a bulk enqueue within itself and against stored keys', async () => {
        const executor = engine.createExecutor();
        const task = executor.task({ id: 'idem_bulk', timeoutMs: 1000, run: (_c, n: number) => n });
        const stored = await executor.enqueueTask(task, 0, { idempotencyKey: 'a' });
        const enqueued = await executor.enqueueTasksById('idem_bulk', [
          { input: 1, options: { idempotencyKey: 'a' } },
          { input: 2, options: { idempotencyKey: 'b' } },
          { input: 3, options: { idempotencyKey: 'b' } },
          { input: 4 },
        ]);
        expect(enqueued.map((e) => e.created)).toEqual([false, true, false, true]);
        expect(enqueued[0]!.executionId).toBe(stored.getTaskExecutionId());
        expect(enqueued[2]!.executionId).toBe(enqueued[1]!.executionId);
        const page = await executor.listExecutions({ taskId: 'idem_bulk', limit: 10 });
        expect(page.items).toHaveLength(3);
      });

      it('links a child whose key another execution holds, and runs that one once', async () => {
        const executor = engine.createExecutor();
        let charges = 0;
        const charge = executor.task({
          id: 'idem_charge',
          timeoutMs: 2000,
          run: async (_ctx, amount: number) => {
            charges += 1;
            await delay(20);
            return `charged ${amount}`;
          },
        });
        const order = executor.parentTask({
          id: 'idem_order',
          timeoutMs: 2000,
          runParent: () => ({
            output: null,
            childrenTasks: [
              { task: charge, input: 10, options: { idempotencyKey: 'pay-1' } },
              { task: charge, input: 20, options: { idempotencyKey: 'pay-1' } },
              { task: charge, input: 30, options: { idempotencyKey: 'pay-2' } },
            ],
          }),
        });
        // pay-2 is held by an execution enqueued before the parent ran.
        const earlier = await executor.enqueueTask(charge, 99, { idempotencyKey: 'pay-2' });
        executor.start();
        const parent = expectCompleted(
          await waitFinished(await executor.enqueueTask(order, undefined)),
        );
        const outputs = parent.output.childrenTasksOutputs.map((child) => child.output);
        expect(outputs).toEqual(['charged 10', 'charged 10', 'charged 99']);
        expect(charges).toBe(2);
        const second = await executor.getExecution(parent.childrenTasks![1]!.executionId);
        expect(second?.linkedExecutionId).toBe(parent.childrenTasks![0]!.executionId);
        const third = await executor.getExecution(parent.childrenTasks![2]!.executionId);
        expect(third?.linkedExecutionId).toBe(earlier.getTaskExecutionId());
      });

      it('refuses keys that are empty or longer than 255 characters, storing nothing', async () => {
        const executor = engine.createExecutor();
        const task = executor.task({ id: 'idem_bad', timeoutMs: 1000, run: () => 1 });
        await expect(
          executor.enqueueTask(task, undefined, { idempotencyKey: 'x'.repeat(256) }),
        ).rejects.toThrow('Invalid idempotencyKey of task idem_bad: 256 characters, at most 255');
        await expect(executor.enqueueTask(task, undefined, { idempotencyKey: '' })).rejects.toThrow(
          DurableOptionsError,
        );
        await expect(
          executor.enqueueTask(task, undefined, { idempotencyKey: 'k', idempotencyTtlMs: 0 }),
        ).rejects.toThrow('Invalid idempotencyTtlMs 0 of task idem_bad');
        const page = await executor.listExecutions({ taskId: 'idem_bad', limit: 10 });
        expect(page.items).toHaveLength(0);
      });
    });

    describe('concurrency limits', () => {
      it('runs at most `limit` per key at once, keys side by side, across executors', async () => {
        const probe = concurrencyProbe();
        const executors = [0, 1, 2].map(() => engine.createExecutor());
        const tasks = executors.map((executor) =>
          executor.task({
            id: 'limit_per_key',
            timeoutMs: 5000,
            concurrency: { limit: 2, key: (input: { tenant: string }) => input.tenant },
            run: (_ctx, input: { tenant: string }) => probe.during(input.tenant, () => delay(30)),
          }),
        );
        for (const executor of executors) executor.start();
        const handles = await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            executors[i % 3]!.enqueueTask(tasks[i % 3]!, { tenant: `t${i % 3}` }),
          ),
        );
        for (const handle of handles) expectCompleted(await waitFinished(handle));
        expect([...probe.peaks.values()]).toEqual([2, 2, 2]);
        expect(probe.peakTotal()).toBeGreaterThan(2); // keys ran side by side
        const execution = await handles[0]!.getTaskExecution();
        expect(execution.concurrencyKey).toBe('t0');
      });

      it('limits the whole task without a key', async () => {
        const probe = concurrencyProbe();
        const executor = engine.createExecutor();
        const task = executor.task({
          id: 'limit_total',
          timeoutMs: 5000,
          concurrency: { limit: 3 },
          run: () => probe.during('all', () => delay(20)),
        });
        executor.start();
        const handles = await executor.enqueueTasks(
          task,
          Array.from({ length: 12 }, () => undefined),
        );
        for (const handle of handles) await waitFinished(handle);
        expect(probe.peaks.get('all')).toBe(3);
      });

      it('never lets a busy key hold back another key or another task', async () => {
        const executor = engine.createExecutor();
        const release = createDeferred();
        const task = executor.task({
          id: 'limit_busy',
          timeoutMs: 10_000,
          concurrency: { limit: 1, key: (input: string) => input },
          run: async (_ctx, input: string) => {
            if (input === 'busy') await release.promise;
            return input;
          },
        });
        const free = executor.task({ id: 'limit_free', timeoutMs: 1000, run: () => 'free' });
        // A backlog of the busy key first, oldest: it must not block what comes after it.
        const busy = await executor.enqueueTasks(task, ['busy', 'busy', 'busy']);
        const other = await executor.enqueueTask(task, 'other');
        const unlimited = await executor.enqueueTask(free, undefined);
        executor.start();
        expectCompleted(await waitFinished(other));
        expectCompleted(await waitFinished(unlimited));
        const waiting = await busy[1]!.getTaskExecution();
        expect(waiting.status).toBe('ready');
        // Dashboards can say why it waits, and how much of the limit is in use.
        expect(await executor.describeWaiting(waiting)).toBe(
          'waiting for a concurrency slot of busy: 1 of 1 running',
        );
        expect(await executor.describeWaiting(await other.getTaskExecution())).toBeNull();
        const [status] = await executor.getFlowStatus();
        expect(status).toEqual({
          taskId: 'limit_busy',
          concurrency: { limit: 1, perKey: true, running: [{ key: 'busy', count: 1 }] },
          rateLimit: null,
        });
        release.resolve();
        for (const handle of busy) expectCompleted(await waitFinished(handle));
      });

      it('refuses invalid limits and keys, naming the task', async () => {
        const executor = engine.createExecutor();
        expect(() =>
          executor.task({
            id: 'limit_bad',
            timeoutMs: 1000,
            concurrency: { limit: 0 },
            run: () => 1,
          }),
        ).toThrow('Invalid concurrency.limit 0 of task limit_bad: must be an integer >= 1');
        const keyed = executor.task({
          id: 'limit_bad_key',
          timeoutMs: 1000,
          concurrency: { limit: 1, key: (input: string) => input },
          run: () => 1,
        });
        await expect(executor.enqueueTask(keyed, 'x'.repeat(300))).rejects.toThrow(
          'Invalid concurrency key of task limit_bad_key: 300 characters, at most 255',
        );
      });
    });

    describe('priorities', () => {
      it('claims higher priorities first, then the oldest, and children inherit', async () => {
        const executor = engine.createExecutor({ maxConcurrentTaskExecutions: 1 });
        const order: string[] = [];
        const task = executor.task({
          id: 'prio',
          timeoutMs: 1000,
          run: (_ctx, name: string) => {
            order.push(name);
            return name;
          },
        });
        const parent = executor.parentTask({
          id: 'prio_parent',
          timeoutMs: 1000,
          runParent: () => ({
            output: null,
            childrenTasks: [
              { task, input: 'child' },
              { task, input: 'child-low', options: { priority: -5 } },
            ],
          }),
        });
        const handles = [
          await executor.enqueueTask(task, 'a0'),
          await executor.enqueueTask(task, 'b5', { priority: 5 }),
          await executor.enqueueTask(task, 'c-1', { priority: -1 }),
          await executor.enqueueTask(task, 'd5', { priority: 5 }),
          await executor.enqueueTask(task, 'e10', { priority: 10 }),
        ];
        executor.start();
        for (const handle of handles) await waitFinished(handle);
        expect(order).toEqual(['e10', 'b5', 'd5', 'a0', 'c-1']);
        const tree = expectCompleted(
          await waitFinished(await executor.enqueueTask(parent, undefined, { priority: 7 })),
        );
        const [child, low] = tree.childrenTasks ?? [];
        expect((await executor.getExecution(child!.executionId))?.priority).toBe(7);
        expect((await executor.getExecution(low!.executionId))?.priority).toBe(-5);
        await expect(executor.enqueueTask(task, 'x', { priority: 1.5 })).rejects.toThrow(
          'Invalid priority 1.5 of task prio',
        );
      });
    });

    describe('rate limits', () => {
      it('starts at most `limit` per period per key, pushing the rest to when it frees', async () => {
        const executor = engine.createExecutor();
        const task = executor.task({
          id: 'rated',
          timeoutMs: 1000,
          rateLimit: { limit: 10, periodMs: 1000, key: (input: string) => input },
          run: (_ctx, key: string) => key,
        });
        executor.start();
        const began = Date.now();
        const handles = await executor.enqueueTasks(task, [
          ...Array.from({ length: 30 }, () => 'a'),
          'b',
        ]);
        // A start is the claim, stamped by the store as the execution's startedAt.
        const finished = await Promise.all(handles.map((handle) => waitFinished(handle)));
        const startsOf = (key: string) =>
          finished.filter((e) => e.runInput === key).map((e) => e.startedAt!.getTime());
        const a = startsOf('a');
        // 30 starts at 10 a second: never more than 10 in any second, about 3 s in all.
        for (const at of a) {
          const inSecond = a.filter((other) => other >= at && other < at + 1000);
          expect(inSecond.length).toBeLessThanOrEqual(10);
        }
        expect(Math.max(...a) - began).toBeGreaterThanOrEqual(2000);
        expect(Math.max(...a) - began).toBeLessThan(3500);
        // Key b was never held back by key a.
        expect(startsOf('b')[0]! - began).toBeLessThan(1000);
        const [status] = await executor.getFlowStatus();
        expect(status?.rateLimit).toMatchObject({ limit: 10, periodMs: 1000, perKey: true });
        // The waiting ones were pushed, not polled for: the last of them waited two periods.
        expect(finished[29]!.startedAt!.getTime()).toBeGreaterThanOrEqual(began + 2000);
      });
    });
  });
}
