/** Plain tasks: running sync and async code, the stored execution, ids and registration. */
import { describe, expect, it } from 'vitest';
import type { TaskRunContext } from '@/server/engine';
import { delay } from '../helpers';
import {
  EXECUTION_ID_PATTERN,
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

export function describeBasics(factory: EngineStoreFactory): void {
  describe('basics', () => {
    const engine = useEngineHarness(factory);

    it('runs a synchronous task and stores its output with millisecond timestamps', async () => {
      const executor = engine.createExecutor();
      const double = executor.task({
        id: 'double',
        timeoutMs: 1000,
        run: (_ctx, n: number) => n * 2,
      });
      executor.start();

      const before = Date.now();
      const handle = await executor.enqueueTask(double, 21);
      const afterEnqueue = Date.now();
      const execution = expectCompleted(await waitFinished(handle));

      expect(execution.output).toBe(42);
      expect(execution.taskId).toBe('double');
      expect(execution.executionId).toBe(handle.getTaskExecutionId());
      expect(execution.runInput).toBe(21);
      expect(execution.retryAttempts).toBe(0);
      expect(execution.recoveryAttempts).toBe(0);
      expect(execution.timeoutMs).toBe(1000);
      expect(execution.sleepMsBeforeRun).toBe(0);
      expect(execution.createdAt).toBeInstanceOf(Date);
      expect(execution.updatedAt).toBeInstanceOf(Date);
      expect(execution.finishedAt).toBeInstanceOf(Date);
      // Millisecond precision: a second-truncated createdAt would fall before `before`.
      expect(execution.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(execution.createdAt.getTime()).toBeLessThanOrEqual(afterEnqueue);
      expect(execution.startedAt?.getTime()).toBeGreaterThanOrEqual(execution.createdAt.getTime());
      expect(execution.finishedAt.getTime()).toBeGreaterThanOrEqual(
        execution.startedAt?.getTime() ?? Number.POSITIVE_INFINITY,
      );
      expect(execution.finishedAt.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('runs an asynchronous task', async () => {
      const executor = engine.createExecutor();
      const greet = executor.task({
        id: 'greet',
        timeoutMs: 1000,
        run: async (_ctx, name: string) => {
          await delay(5);
          return `hello ${name}`;
        },
      });
      executor.start();

      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(greet, 'ada')),
      );
      expect(execution.output).toBe('hello ada');
    });

    it('gives the run context the task id, execution id and first attempt', async () => {
      const executor = engine.createExecutor();
      const seen: TaskRunContext[] = [];
      const inspect = executor.task({
        id: 'inspect_ctx',
        timeoutMs: 1000,
        run: (ctx) => {
          seen.push(ctx);
          return null;
        },
      });
      executor.start();

      const handle = await executor.enqueueTask(inspect, undefined);
      await waitFinished(handle);

      expect(handle.getTaskId()).toBe('inspect_ctx');
      expect(handle.getTaskExecutionId()).toMatch(EXECUTION_ID_PATTERN);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.taskId).toBe('inspect_ctx');
      expect(seen[0]?.executionId).toBe(handle.getTaskExecutionId());
      expect(seen[0]?.attempt).toBe(0);
      expect(seen[0]?.prevError).toBeUndefined();
      expect(seen[0]?.cancelSignal.isCancelled()).toBe(false);
      expect(seen[0]?.cancelSignal.abortSignal.aborted).toBe(false);
      expect(seen[0]?.shutdownSignal.isCancelled()).toBe(false);
    });

    it('stores a new execution as ready with its options until an executor runs it', async () => {
      const executor = engine.createExecutor();
      const noop = executor.task({
        id: 'noop_ready',
        timeoutMs: 250,
        retryOptions: { maxAttempts: 2, baseDelayMs: 10 },
        run: () => 'done',
      });

      const handle = await executor.enqueueTask(noop, undefined);
      const execution = await handle.getTaskExecution();
      expect(execution.status).toBe('ready');
      expect(execution.timeoutMs).toBe(250);
      expect(execution.retryOptions.maxAttempts).toBe(2);
      expect(execution.retryOptions.baseDelayMs).toBe(10);
      expect(execution.startedAt).toBeUndefined();
      expect(execution.finishedAt).toBeUndefined();

      executor.start();
      expect(expectCompleted(await waitFinished(handle)).output).toBe('done');
    });

    it('gives every enqueue a distinct execution id', async () => {
      const executor = engine.createExecutor();
      const noop = executor.task({ id: 'noop_ids', timeoutMs: 1000, run: () => 1 });
      const handles = await Promise.all(
        Array.from({ length: 20 }, () => executor.enqueueTask(noop, undefined)),
      );
      const ids = new Set(handles.map((handle) => handle.getTaskExecutionId()));
      expect(ids.size).toBe(20);
      for (const id of ids) expect(id).toMatch(EXECUTION_ID_PATTERN);
    });

    it('round-trips rich values (Date, Map, undefined fields) through input and output', async () => {
      const executor = engine.createExecutor();
      const received: unknown[] = [];
      const echo = executor.task({
        id: 'echo_rich',
        timeoutMs: 1000,
        run: (_ctx, input: { at: Date; tags: Map<string, number> }) => {
          received.push(input);
          return { at: input.at, tags: input.tags, nothing: undefined };
        },
      });
      executor.start();

      const at = new Date('2020-02-02T02:02:02.002Z');
      const input = { at, tags: new Map([['a', 1]]) };
      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(echo, input)),
      );

      expect(received[0]).toEqual(input);
      expect((received[0] as { at: unknown }).at).toBeInstanceOf(Date);
      expect(execution.output.at).toBeInstanceOf(Date);
      expect(execution.output.at.getTime()).toBe(at.getTime());
      expect(execution.output.tags.get('a')).toBe(1);
    });

    it('rejects an enqueue of a task this executor did not register', async () => {
      const executor = engine.createExecutor();
      const other = engine.createExecutor();
      const foreign = other.task({ id: 'foreign', timeoutMs: 1000, run: () => 1 });
      await expect(executor.enqueueTask(foreign, undefined)).rejects.toThrow(
        'Task foreign not found',
      );
    });

    it('refuses two tasks with the same id on one executor', () => {
      const executor = engine.createExecutor();
      executor.task({ id: 'twice', timeoutMs: 1000, run: () => 1 });
      expect(() => executor.task({ id: 'twice', timeoutMs: 1000, run: () => 2 })).toThrow(
        'Task twice already exists',
      );
      expect(() =>
        executor.parentTask({ id: 'twice', timeoutMs: 1000, runParent: () => ({ output: 1 }) }),
      ).toThrow('Task twice already exists');
    });
  });
}
