/** What gets claimed and when: registered tasks only, due time, oldest first, concurrency. */
import { describe, expect, it } from 'vitest';
import { delay, waitFor } from '../helpers';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeScheduling(factory: EngineStoreFactory): void {
  describe('scheduling', () => {
    const engine = useEngineHarness(factory);

    it('does not run an execution before its sleepMsBeforeRun', async () => {
      const executor = engine.createExecutor();
      const runAt: number[] = [];
      const sleepy = executor.task({
        id: 'sleepy',
        timeoutMs: 1000,
        sleepMsBeforeRun: 80,
        run: () => runAt.push(Date.now()),
      });
      executor.start();

      const enqueuedAt = Date.now();
      const handle = await executor.enqueueTask(sleepy, undefined);
      const ready = await handle.getTaskExecution();
      expect(ready.status).toBe('ready');
      expect(ready.sleepMsBeforeRun).toBe(80);
      expectCompleted(await waitFinished(handle));
      expect((runAt[0] ?? 0) - enqueuedAt).toBeGreaterThanOrEqual(80);

      const overriddenAt = Date.now();
      const overridden = await executor.enqueueTask(sleepy, undefined, { sleepMsBeforeRun: 40 });
      expectCompleted(await waitFinished(overridden));
      expect((runAt[1] ?? 0) - overriddenAt).toBeGreaterThanOrEqual(40);
    });

    it('claims due executions oldest startAt first', async () => {
      const executor = engine.createExecutor({
        maxConcurrentTaskExecutions: 1,
        maxTaskExecutionsPerBatch: 1,
      });
      const order: string[] = [];
      const ordered = executor.task({
        id: 'ordered',
        timeoutMs: 1000,
        run: (_ctx, label: string) => order.push(label),
      });
      // Enqueued newest-due first: the claim order must follow startAt, not insertion. Each
      // sleep aims at a common base, so a slow enqueue cannot reorder the startAts.
      const base = Date.now() + 150;
      const handles = [];
      for (const [label, offsetMs] of [
        ['fourth', 120],
        ['third', 80],
        ['second', 40],
        ['first', 0],
      ] as const) {
        const sleepMsBeforeRun = base + offsetMs - Date.now();
        handles.push(await executor.enqueueTask(ordered, label, { sleepMsBeforeRun }));
      }
      await waitFor(() => Date.now() >= base + 140, {
        message: 'all executions due',
      });
      executor.start();

      await Promise.all(handles.map((handle) => waitFinished(handle)));
      expect(order).toEqual(['first', 'second', 'third', 'fourth']);
    });

    it('never runs more than maxConcurrentTaskExecutions at once', async () => {
      const executor = engine.createExecutor({ maxConcurrentTaskExecutions: 3 });
      let running = 0;
      let maxRunning = 0;
      const busy = executor.task({
        id: 'busy',
        timeoutMs: 1000,
        run: async () => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          await delay(15);
          running -= 1;
        },
      });
      executor.start();

      const handles = await Promise.all(
        Array.from({ length: 12 }, () => executor.enqueueTask(busy, undefined)),
      );
      for (const handle of handles) expectCompleted(await waitFinished(handle));
      expect(maxRunning).toBe(3);
    });

    it('leaves executions of unknown tasks ready until an executor that knows them runs them', async () => {
      const knowsOne = engine.createExecutor();
      const known = knowsOne.task({ id: 'known_task', timeoutMs: 1000, run: () => 'known' });
      const knowsTwo = engine.createExecutor();
      const other = knowsTwo.task({ id: 'other_task', timeoutMs: 1000, run: () => 'other' });
      knowsOne.start();

      const otherHandle = await knowsTwo.enqueueTask(other, undefined);
      // Enqueued later: once it has run, the older unknown execution had its chance too.
      const knownHandle = await knowsOne.enqueueTask(known, undefined);
      expectCompleted(await waitFinished(knownHandle));
      expect((await otherHandle.getTaskExecution()).status).toBe('ready');
      expect((await otherHandle.getTaskExecution()).error).toBeUndefined();

      knowsTwo.start();
      expect(expectCompleted(await waitFinished(otherHandle)).output).toBe('other');
    });
  });
}
