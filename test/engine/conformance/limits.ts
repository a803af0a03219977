/** Limits and serialization: input / output sizes, children per parent, serializer failures. */
import { describe, expect, it } from 'vitest';
import { DurableExecutionError } from '@/server/engine';
import type { Serializer } from '@/server/engine';
import { rejectionOf } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  expectNothingStored,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

/** JSON, refusing any value that contains the string "unserializable". */
const pickySerializer: Serializer = {
  serialize: (value) => {
    const text = JSON.stringify(value) ?? 'null';
    if (text.includes('unserializable')) throw new Error('picky serializer refused');
    return text;
  },
  deserialize: (text) => JSON.parse(text) as unknown,
};

export function describeLimits(factory: EngineStoreFactory): void {
  describe('limits and serialization', () => {
    const engine = useEngineHarness(factory);

    it('rejects an input over maxSerializedInputDataSize and stores nothing', async () => {
      const executor = engine.createExecutor({ maxSerializedInputDataSize: 200 });
      const task = executor.task({ id: 'small_input', timeoutMs: 1000, run: (_c, s: string) => s });

      const error = await rejectionOf(executor.enqueueTask(task, 'x'.repeat(500)));
      expect(error).toBeInstanceOf(DurableExecutionError);
      expect((error as DurableExecutionError).isRetryable).toBe(false);
      await expectNothingStored(engine.storage, ['small_input']);

      executor.start();
      const ok = await executor.enqueueTask(task, 'x'.repeat(50));
      expect(expectCompleted(await waitFinished(ok)).output).toHaveLength(50);
    });

    it('fails a run whose output is over maxSerializedOutputDataSize', async () => {
      const executor = engine.createExecutor({ maxSerializedOutputDataSize: 200 });
      const task = executor.task({
        id: 'big_output',
        timeoutMs: 1000,
        run: (_ctx, size: number) => 'y'.repeat(size),
      });
      executor.start();

      const failed = await waitFinished(await executor.enqueueTask(task, 500));
      expect(expectFinishedWith(failed, 'failed').error.isRetryable).toBe(false);
      const ok = await waitFinished(await executor.enqueueTask(task, 50));
      expect(expectCompleted(ok).output).toHaveLength(50);
    });

    it('fails a parent that returns more than maxChildrenPerParent children', async () => {
      const executor = engine.createExecutor({ maxChildrenPerParent: 2 });
      let childRuns = 0;
      const child = executor.task({ id: 'one_of_many', timeoutMs: 1000, run: () => childRuns++ });
      const parent = executor.parentTask({
        id: 'too_many_children',
        timeoutMs: 1000,
        runParent: (_ctx, count: number) => ({
          output: count,
          childrenTasks: Array.from({ length: count }, () => ({ task: child, input: undefined })),
        }),
      });
      executor.start();

      expectFinishedWith(await waitFinished(await executor.enqueueTask(parent, 3)), 'failed');
      expect(childRuns).toBe(0);
      expectCompleted(await waitFinished(await executor.enqueueTask(parent, 2)));
      expect(childRuns).toBe(2);
    });

    it('uses the configured serializer and turns its failures into non-retryable errors', async () => {
      const executor = engine.createExecutor({ serializer: pickySerializer });
      let runs = 0;
      const task = executor.task({
        id: 'picky',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 3 },
        run: (_ctx, input: string) => {
          runs += 1;
          return input === 'make output fail' ? 'unserializable output' : input;
        },
      });
      executor.start();

      const error = await rejectionOf(executor.enqueueTask(task, 'unserializable input'));
      expect((error as Error).message).toMatch(/^Error serializing value: /);
      expect((error as DurableExecutionError).isRetryable).toBe(false);

      const failed = await waitFinished(await executor.enqueueTask(task, 'make output fail'));
      const failure = expectFinishedWith(failed, 'failed');
      expect(failure.error.message).toMatch(/^Error serializing value: /);
      expect(failure.error.isRetryable).toBe(false);
      expect(runs).toBe(1);
    });
  });
}
