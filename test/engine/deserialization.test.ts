/**
 * Stored values that cannot be read back: runs fail on them without retrying, typed handles
 * reject with the serializer's error, and the read-model queries (getExecution,
 * listExecutions, getExecutionTree, waitForExecution) show them as `UnreadableValue` markers.
 */
import { describe, expect, it } from 'vitest';
import {
  isFinishedStatus,
  isUnreadableValue,
  superjsonSerializer,
  UNREADABLE_TEXT_MAX_CHARS,
} from '@/server/engine';
import type {
  DurableExecutor,
  DurableStorage,
  ExecutionRow,
  Serializer,
  UnreadableValue,
} from '@/server/engine';
import { rejectionOf, waitFor, within } from './helpers';
import {
  expectCompleted,
  expectFinishedWith,
  useEngineHarness,
  waitFinished,
} from './conformance/harness';
import {
  claimStored,
  createRecordingLogger,
  expectSerializerError,
  inMemoryStore,
  storedRootRow,
} from './serializationHelpers';

/** JSON that cannot read back any payload containing "poison" (say, an older format). */
const poisonReadingSerializer: Serializer = {
  serialize: (value) => JSON.stringify(value) ?? 'null',
  deserialize: (text) => {
    if (text.includes('poison')) throw new Error('cannot read poison');
    return JSON.parse(text) as unknown;
  },
};

const POISON_ERROR = 'Error deserializing value: cannot read poison';

/** How the read queries show the output 'poison' of `describeNumber`. */
const POISON_OUTPUT: UnreadableValue = {
  unreadableValue: '"poison"',
  storedLength: 8,
  error: POISON_ERROR,
};

/** Its inputs never contain the marker; its output for 0 does (written, but unreadable). */
function defineDescribeNumber(executor: DurableExecutor) {
  return executor.task({
    id: 'describe_number',
    timeoutMs: 1000,
    run: (_ctx, n: number) => (n === 0 ? 'poison' : `number ${n}`),
  });
}

/** The stored row once finished (polled: the handle cannot always read it, see the tests). */
async function finishedRow(storage: DurableStorage, executionId: string): Promise<ExecutionRow> {
  await waitFor(
    async () => {
      const row = await storage.getExecution(executionId);
      return row !== null && isFinishedStatus(row.status);
    },
    { message: `execution ${executionId} to finish` },
  );
  const row = await storage.getExecution(executionId);
  if (!row) throw new Error(`Execution ${executionId} disappeared`);
  return row;
}

/** A wait on the handle settles with the serializer's error instead of hanging. */
async function expectWaitRejects(
  handle: { waitAndGetTaskFinishedExecution(): Promise<unknown> },
  message: string | RegExp,
): Promise<void> {
  const error = await within(
    rejectionOf(handle.waitAndGetTaskFinishedExecution()),
    5000,
    'the wait on an unreadable execution',
  );
  expectSerializerError(error, message);
}

/** A completed root execution of `taskId` whose stored output is `output`, written directly. */
async function storeCompleted(
  storage: DurableStorage,
  taskId: string,
  output: string,
): Promise<string> {
  const row = storedRootRow(taskId, superjsonSerializer.serialize(1));
  await storage.insertExecutions([row]);
  const claimed = await claimStored(storage, row);
  const [applied] = await storage.applyRunResults(
    [
      {
        executionId: row.executionId,
        leaseToken: claimed.leaseToken,
        outcome: { kind: 'completed', output, runOutput: null },
      },
    ],
    Date.now(),
  );
  expect(applied?.status).toBe('completed');
  return row.executionId;
}

describe('deserialization failures', () => {
  const engine = useEngineHarness(inMemoryStore);

  it('fails a run whose input cannot be deserialized, without running or retrying it', async () => {
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ serializer: poisonReadingSerializer, logger });
    const runs: string[] = [];
    const echo = executor.task({
      id: 'echo',
      timeoutMs: 1000,
      retryOptions: { maxAttempts: 3 },
      run: (_ctx, input: string) => {
        runs.push(input);
        return input;
      },
    });
    executor.start();

    const handle = await executor.enqueueTask(echo, 'poison input');
    const row = await finishedRow(engine.storage, handle.getTaskExecutionId());
    expect(row.status).toBe('failed');
    expect(row.error).toMatchObject({
      errorType: 'generic',
      message: POISON_ERROR,
      isRetryable: false,
    });
    expect(row.retryAttempts).toBe(0);
    expect(runs).toEqual([]);
    // The execution view carries runInput, so a typed handle cannot show this execution.
    await expectWaitRejects(handle, POISON_ERROR);
    // An outcome, not a crash: nothing logged, and the executor keeps running tasks.
    expect(logger.errors).toEqual([]);
    const ok = expectCompleted(await waitFinished(await executor.enqueueTask(echo, 'fine')));
    expect(ok.output).toBe('fine');
    expect(runs).toEqual(['fine']);
  });

  it('fails a stored execution whose runInput is corrupted (default serializer)', async () => {
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ logger });
    let runs = 0;
    const double = executor.task({
      id: 'double',
      timeoutMs: 1000,
      run: (_ctx, n: number) => {
        runs += 1;
        return n * 2;
      },
    });
    const corrupted = storedRootRow('double', '{"json": not superjson');
    await engine.storage.insertExecutions([corrupted]);
    executor.start();

    const row = await finishedRow(engine.storage, corrupted.executionId);
    expect(row.status).toBe('failed');
    expect(row.error?.message).toMatch(/^Error deserializing value: .+/);
    expect(row.error?.isRetryable).toBe(false);
    expect(row.retryAttempts).toBe(0);
    expect(runs).toBe(0);
    const handle = await executor.getTaskHandle(double, corrupted.executionId);
    expectSerializerError(
      await rejectionOf(handle.getTaskExecution()),
      /^Error deserializing value: /,
    );

    expect(logger.errors).toEqual([]);
    expect(expectCompleted(await waitFinished(await executor.enqueueTask(double, 4))).output).toBe(
      8,
    );
  });

  it('marks an output that cannot be deserialized in getExecution, rejects handle reads, and keeps working', async () => {
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ serializer: poisonReadingSerializer, logger });
    const describeNumber = defineDescribeNumber(executor);
    executor.start();

    const handle = await executor.enqueueTask(describeNumber, 0);
    await expectWaitRejects(handle, POISON_ERROR);
    // The run itself succeeded: only reading its output back fails.
    const row = await finishedRow(engine.storage, handle.getTaskExecutionId());
    expect(row.status).toBe('completed');
    expect(row.output).toBe('"poison"');
    const read = await executor.getExecution(handle.getTaskExecutionId());
    expect(read).toMatchObject({ status: 'completed', runInput: 0, output: POISON_OUTPUT });
    expectSerializerError(await rejectionOf(handle.getTaskExecution()), POISON_ERROR);

    expect(logger.errors).toEqual([]);
    const other = await executor.enqueueTask(describeNumber, 7);
    expect(expectCompleted(await waitFinished(other)).output).toBe('number 7');
    const readOther = await executor.getExecution(other.getTaskExecutionId());
    expect(readOther).toMatchObject({ status: 'completed', output: 'number 7' });
  });

  it('marks a corrupted stored output in getExecution and rejects handle reads (default serializer)', async () => {
    const executor = engine.createExecutor();
    const stored = executor.task({ id: 'stored', timeoutMs: 1000, run: (_ctx, n: number) => n });
    const executionId = await storeCompleted(engine.storage, 'stored', '{"json": 1');
    executor.start();

    const read = await executor.getExecution(executionId);
    expect(read?.status).toBe('completed');
    expect(read?.output).toEqual({
      unreadableValue: '{"json": 1',
      storedLength: 10,
      error: expect.stringMatching(/^Error deserializing value: /) as unknown,
    });
    await expectWaitRejects(await executor.getTaskHandle(stored, executionId), /^Error deser/);

    const ok = expectCompleted(await waitFinished(await executor.enqueueTask(stored, 2)));
    expect(ok.output).toBe(2);
  });

  it('fails a parent whose child output cannot be deserialized instead of leaving it waiting', async () => {
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ serializer: poisonReadingSerializer, logger });
    const child = defineDescribeNumber(executor);
    const parent = executor.parentTask({
      id: 'reads_children',
      timeoutMs: 1000,
      runParent: (_ctx, numbers: number[]) => ({
        output: numbers.length,
        childrenTasks: numbers.map((n) => ({ task: child, input: n })),
      }),
    });
    executor.start();

    const handle = await executor.enqueueTask(parent, [1, 0]);
    const failed = expectFinishedWith(await waitFinished(handle), 'failed');
    expect(failed.error).toMatchObject({
      errorType: 'generic',
      message: POISON_ERROR,
      isRetryable: false,
    });
    expect(failed.childrenTasks).toHaveLength(2);
    expect(logger.errors).toEqual([]);

    const ok = expectCompleted(await waitFinished(await executor.enqueueTask(parent, [2])));
    expect(ok.output.childrenTasksOutputs.map((c) => c.output)).toEqual(['number 2']);
  });
});

describe('read-model queries of unreadable values', () => {
  const engine = useEngineHarness(inMemoryStore);

  it('lists every execution of a page, marking the output that cannot be read', async () => {
    const executor = engine.createExecutor({ serializer: poisonReadingSerializer });
    const describeNumber = defineDescribeNumber(executor);
    executor.start();

    const handles = await Promise.all(
      [1, 0, 2].map((n) => executor.enqueueTask(describeNumber, n)),
    );
    const ids = handles.map((handle) => handle.getTaskExecutionId());
    await Promise.all(ids.map((id) => finishedRow(engine.storage, id)));

    const page = await executor.listExecutions({ taskId: 'describe_number', limit: 10 });
    expect(page.nextCursor).toBeNull();
    const outputs = new Map(page.items.map((item) => [item.executionId, item.output]));
    expect([...outputs.keys()].sort()).toEqual([...ids].sort());
    expect(outputs.get(ids[0] ?? '')).toBe('number 1');
    expect(outputs.get(ids[1] ?? '')).toEqual(POISON_OUTPUT);
    expect(outputs.get(ids[2] ?? '')).toBe('number 2');
    expect(page.items.map((item) => isUnreadableValue(item.output))).toEqual(
      page.items.map((item) => item.executionId === ids[1]),
    );
  });

  it('returns the whole tree of a parent whose child output cannot be read, marking it', async () => {
    const executor = engine.createExecutor({ serializer: poisonReadingSerializer });
    const child = defineDescribeNumber(executor);
    const parent = executor.parentTask({
      id: 'fans_out',
      timeoutMs: 1000,
      runParent: (_ctx, numbers: number[]) => ({
        output: null,
        childrenTasks: numbers.map((n) => ({ task: child, input: n })),
      }),
    });
    executor.start();

    const handle = await executor.enqueueTask(parent, [0, 1]);
    expectFinishedWith(await waitFinished(handle), 'failed');

    const tree = await executor.getExecutionTree(handle.getTaskExecutionId());
    expect(tree.map((node) => [node.taskId, node.parentTask?.index ?? null, node.output])).toEqual([
      ['fans_out', null, undefined],
      ['describe_number', 0, POISON_OUTPUT],
      ['describe_number', 1, 'number 1'],
    ]);
  });

  it('shows an execution that failed on its unreadable input, while handles still reject', async () => {
    const executor = engine.createExecutor({ serializer: poisonReadingSerializer });
    const echo = executor.task({ id: 'echo', timeoutMs: 1000, run: (_c, s: string) => s });
    executor.start();

    const handle = await executor.enqueueTask(echo, 'poison input');
    const executionId = handle.getTaskExecutionId();
    await finishedRow(engine.storage, executionId);

    const expected = {
      status: 'failed',
      runInput: { unreadableValue: '"poison input"', storedLength: 14, error: POISON_ERROR },
      error: { message: POISON_ERROR, isRetryable: false },
    };
    expect(await executor.getExecution(executionId)).toMatchObject(expected);
    // The long-poll answers at once, as the execution finished: not after its timeout.
    const waited = executor.waitForExecution(executionId, { timeoutMs: 60_000 });
    expect(await within(waited, 5000, 'waitForExecution')).toMatchObject(expected);
    expectSerializerError(await rejectionOf(handle.getTaskExecution()), POISON_ERROR);
    await expectWaitRejects(await executor.getTaskHandle(echo, executionId), POISON_ERROR);
  });

  it('keeps the first 2,000 characters of an unreadable stored text and its full length', async () => {
    const executor = engine.createExecutor();
    const corrupted = `{"json": ${'9'.repeat(5000)}`;
    const executionId = await storeCompleted(engine.storage, 'retired_task', corrupted);

    const read = await executor.getExecution(executionId);
    expect(UNREADABLE_TEXT_MAX_CHARS).toBe(2000);
    expect(isUnreadableValue(read?.output)).toBe(true);
    expect(read?.output).toMatchObject({
      unreadableValue: corrupted.slice(0, 2000),
      storedLength: corrupted.length,
    });
  });
});
