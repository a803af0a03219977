/** Values the serializer cannot write, and the serialized size limits of inputs and outputs. */
import { describe, expect, it } from 'vitest';
import type { Serializer } from '@/server/engine';
import { rejectionOf } from './helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
} from './conformance/harness';
import {
  createRecordingLogger,
  expectSerializerError,
  inMemoryStore,
} from './serializationHelpers';

/** Plain JSON: its sizes are easy to predict (a string of n ASCII chars is n + 2 bytes). */
const jsonSerializer: Serializer = {
  serialize: (value) => JSON.stringify(value) ?? 'null',
  deserialize: (text) => JSON.parse(text) as unknown,
};

describe('serialization failures and size limits', () => {
  const engine = useEngineHarness(inMemoryStore);

  it('fails a run whose output the serializer throws on, with its message, without retrying', async () => {
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ serializer: jsonSerializer, logger });
    let runs = 0;
    const big = executor.task({
      id: 'bigint_output',
      timeoutMs: 1000,
      retryOptions: { maxAttempts: 2 },
      run: (_ctx, n: number): bigint | number => {
        runs += 1;
        return n < 0 ? BigInt(n) : n;
      },
    });
    executor.start();

    const failed = expectFinishedWith(
      await waitFinished(await executor.enqueueTask(big, -1)),
      'failed',
    );
    expect(failed.error).toMatchObject({
      errorType: 'generic',
      message: 'Error serializing value: Do not know how to serialize a BigInt',
      isRetryable: false,
    });
    expect(failed.retryAttempts).toBe(0);
    expect(runs).toBe(1);
    expect(logger.errors).toEqual([]);
    expect(expectCompleted(await waitFinished(await executor.enqueueTask(big, 3))).output).toBe(3);
  });

  it('limits serialized inputs in UTF-8 bytes, the limit itself included, naming the task', async () => {
    const executor = engine.createExecutor({
      serializer: jsonSerializer,
      maxSerializedInputDataSize: 100,
    });
    const sized = executor.task({ id: 'sized', timeoutMs: 1000, run: (_c, s: string) => s.length });
    executor.start();

    // '"' + 98 chars + '"' is exactly the limit.
    const atLimit = await executor.enqueueTask(sized, 'x'.repeat(98));
    expect(expectCompleted(await waitFinished(atLimit)).output).toBe(98);
    expectSerializerError(
      await rejectionOf(executor.enqueueTask(sized, 'x'.repeat(99))),
      'Error serializing value: Input of task sized is 101 bytes, over the limit of 100',
    );
    // 40 characters, but 3 bytes each.
    expectSerializerError(
      await rejectionOf(executor.enqueueTask(sized, '€'.repeat(40))),
      'Error serializing value: Input of task sized is 122 bytes, over the limit of 100',
    );
  });

  it('fails a run whose output is over maxSerializedOutputDataSize with the sizes, without retrying', async () => {
    const executor = engine.createExecutor({
      serializer: jsonSerializer,
      maxSerializedOutputDataSize: 100,
    });
    let runs = 0;
    const repeat = executor.task({
      id: 'repeat',
      timeoutMs: 1000,
      retryOptions: { maxAttempts: 2 },
      run: (_ctx, n: number) => {
        runs += 1;
        return 'y'.repeat(n);
      },
    });
    executor.start();

    const failed = expectFinishedWith(
      await waitFinished(await executor.enqueueTask(repeat, 99)),
      'failed',
    );
    expect(failed.error.message).toBe(
      'Error serializing value: Output of task repeat is 101 bytes, over the limit of 100',
    );
    expect(failed.error.isRetryable).toBe(false);
    expect(runs).toBe(1);
    const ok = await waitFinished(await executor.enqueueTask(repeat, 98));
    expect(expectCompleted(ok).output).toHaveLength(98);
  });

  it('fails a parent whose child input is over the input limit before any child runs', async () => {
    const executor = engine.createExecutor({
      serializer: jsonSerializer,
      maxSerializedInputDataSize: 100,
    });
    let childRuns = 0;
    const child = executor.task({
      id: 'limited_child',
      timeoutMs: 1000,
      run: () => {
        childRuns += 1;
      },
    });
    const parent = executor.parentTask({
      id: 'spawns_big_child',
      timeoutMs: 1000,
      runParent: (_ctx, size: number) => ({
        output: null,
        childrenTasks: [
          { task: child, input: 'small' },
          { task: child, input: 'z'.repeat(size) },
        ],
      }),
    });
    executor.start();

    const failed = expectFinishedWith(
      await waitFinished(await executor.enqueueTask(parent, 200)),
      'failed',
    );
    expect(failed.error.message).toBe(
      'Error serializing value: Input of task limited_child is 202 bytes, over the limit of 100',
    );
    expect(failed.error.isRetryable).toBe(false);
    expect(failed.childrenTasks).toBeUndefined();
    expect(childRuns).toBe(0);
  });
});
