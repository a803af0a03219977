/** What the engine tells its logger: debug gating, the console logger, failures it survives. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConsoleLogger, superjsonSerializer } from '@/server/engine';
import type { DurableStorage, NewExecutionRow } from '@/server/engine';
import { expectCompleted, useEngineHarness, waitFinished } from './conformance/harness';
import {
  claimStored,
  createRecordingLogger,
  inMemoryStore,
  storedRootRow,
} from './serializationHelpers';

/** Store operations that a test makes fail once. */
type FlakyOperation = 'claimReadyExecutions' | 'recoverExpiredLeases';

/** Makes `storage[operation]` reject with `failure` on its first call; returns its call count. */
function failFirstCall(
  storage: DurableStorage,
  operation: FlakyOperation,
  failure: Error,
): () => number {
  const original = storage[operation].bind(storage) as (...args: unknown[]) => Promise<unknown>;
  let calls = 0;
  const flaky = (...args: unknown[]) => {
    calls += 1;
    return calls === 1 ? Promise.reject(failure) : original(...args);
  };
  (storage as Record<FlakyOperation, unknown>)[operation] = flaky;
  return () => calls;
}

/** Makes the first write of run results reject with `failure`; returns how many such writes. */
function failFirstResultWrite(storage: DurableStorage, failure: Error): () => number {
  const original = storage.write.bind(storage);
  let calls = 0;
  storage.write = (batch) => {
    if (batch.results.length === 0) return original(batch);
    calls += 1;
    return calls === 1 ? Promise.reject(failure) : original(batch);
  };
  return () => calls;
}

describe('logger', () => {
  const engine = useEngineHarness(inMemoryStore);

  afterEach(() => {
    vi.restoreAllMocks();
  });

  /**
   * A parent of a task this executor does not know (another deployment's), waiting for one
   * child of a task it does know: closing that child leaves the parent for its own executor,
   * which the engine reports at debug level.
   */
  async function storeForeignParentWithLocalChild(): Promise<{ parent: string; child: string }> {
    const parentRow = storedRootRow('foreign_parent', superjsonSerializer.serialize(null));
    await engine.storage.insertExecutions([parentRow]);
    const claimed = await claimStored(engine.storage, parentRow);
    const childRow: NewExecutionRow = {
      ...storedRootRow('local_child', superjsonSerializer.serialize(null)),
      rootTaskId: parentRow.taskId,
      rootExecutionId: parentRow.executionId,
      parentTaskId: parentRow.taskId,
      parentExecutionId: parentRow.executionId,
    };
    await engine.storage.applyRunResults(
      [
        {
          executionId: parentRow.executionId,
          leaseToken: claimed.leaseToken,
          outcome: {
            kind: 'waiting_for_children',
            runOutput: superjsonSerializer.serialize(null),
            children: [childRow],
          },
        },
      ],
      Date.now(),
    );
    return { parent: parentRow.executionId, child: childRow.executionId };
  }

  it.each([true, false])(
    'passes debug messages to the logger only when enableDebug is %s',
    async (enableDebug) => {
      const logger = createRecordingLogger();
      const executor = engine.createExecutor({ logger, enableDebug });
      const child = executor.task({ id: 'local_child', timeoutMs: 1000, run: () => 'done' });
      const ids = await storeForeignParentWithLocalChild();
      executor.start();

      expectCompleted(await waitFinished(await executor.getTaskHandle(child, ids.child)));
      // Shutdown waits for the run's follow-up: the close, then the attempt to advance.
      await executor.shutdown();
      const parent = await engine.storage.getExecution(ids.parent);
      expect(parent?.status).toBe('waiting_for_children_tasks');
      expect(parent?.finishedChildrenCount).toBe(1);

      const expected = `Parent ${ids.parent} of unknown task foreign_parent left`;
      // The backstop loop may try the parent again on each tick: the same message each time.
      expect(new Set(logger.debugs)).toEqual(new Set(enableDebug ? [expected] : []));
      expect(logger.errors).toEqual([]);
    },
  );

  it('the default console logger prefixes messages and writes debug only when enabled', () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => undefined);
    const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const cause = new Error('cause');

    createConsoleLogger(false).debug('hidden');
    createConsoleLogger(true).debug('shown');
    createConsoleLogger(false).info('note');
    createConsoleLogger(false).error('broken', cause);

    expect(debug.mock.calls).toEqual([['[durably] shown']]);
    expect(info.mock.calls).toEqual([['[durably] note']]);
    expect(error.mock.calls).toEqual([['[durably] broken', cause]]);
  });

  it('logs a failed claim at error level, backs off and still runs the task', async () => {
    const claimFailure = new Error('store unreachable');
    const claims = failFirstCall(engine.storage, 'claimReadyExecutions', claimFailure);
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ logger });
    const task = executor.task({ id: 'after_claim_failure', timeoutMs: 1000, run: () => 'ran' });
    // Enqueued before start: the very first claim, which fails, is the one meant to take it.
    const handle = await executor.enqueueTask(task, undefined);
    executor.start();

    expect(expectCompleted(await waitFinished(handle)).output).toBe('ran');
    expect(claims()).toBeGreaterThanOrEqual(2);
    expect(logger.errors).toEqual([
      { message: 'Claiming executions failed; backing off', error: claimFailure },
    ]);
  });

  it('logs a failed result write at error level and applies the result on retry', async () => {
    const writeFailure = new Error('write lost');
    const writes = failFirstResultWrite(engine.storage, writeFailure);
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ logger });
    const task = executor.task({ id: 'after_write_failure', timeoutMs: 1000, run: () => 'kept' });
    executor.start();

    const handle = await executor.enqueueTask(task, undefined);
    expect(expectCompleted(await waitFinished(handle)).output).toBe('kept');
    expect(writes()).toBe(2);
    expect(logger.errors).toEqual([
      { message: 'Writing run results failed; retrying', error: writeFailure },
    ]);
  });

  it('logs a failing backstop step at error level and a lease recovery at info level', async () => {
    const storage = engine.storage;
    const stepFailure = new Error('recovery query failed');
    failFirstCall(storage, 'recoverExpiredLeases', stepFailure);
    const logger = createRecordingLogger();
    const executor = engine.createExecutor({ logger });
    const attempts: number[] = [];
    const task = executor.task({
      id: 'recovered',
      timeoutMs: 1000,
      run: (ctx) => {
        attempts.push(ctx.attempt);
        return 'recovered';
      },
    });
    // An execution claimed long ago by an executor that died: its lease has expired.
    const longAgo = Date.now() - 120_000;
    const row = {
      ...storedRootRow('recovered', superjsonSerializer.serialize(null)),
      startAt: longAgo,
      createdAt: longAgo,
    };
    await storage.insertExecutions([row]);
    const [lost] = await storage.claimReadyExecutions({
      taskIds: ['recovered'],
      limit: 1,
      now: longAgo,
      expireMs: 0,
    });
    expect(lost?.expiresAt).toBeLessThan(Date.now());
    const handle = await executor.getTaskHandle(task, row.executionId);
    executor.start();

    const execution = expectCompleted(await waitFinished(handle));
    expect(execution.recoveryAttempts).toBe(1);
    expect(attempts).toEqual([1]);
    expect(logger.errors).toEqual([
      { message: 'Backstop step failed: recovering expired leases', error: stepFailure },
    ]);
    expect(logger.infos).toEqual(['Recovered 1 expired executions']);
  });
});
