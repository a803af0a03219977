/**
 * Per-test engine fixture: a fresh store from the factory, executors created through it are
 * recorded and shut down after the test, then the store is closed. Only the public executor
 * API and the `DurableStorage` interface are used, so any store can run the suite.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { DurableExecutor } from '@/server/engine';
import type {
  CompletedTaskExecution,
  DurableExecutorOptions,
  DurableStorage,
  FailedTaskExecution,
  FinishedTaskExecution,
} from '@/server/engine';

export interface EngineTestStore {
  storage: DurableStorage;
  close(): Promise<void>;
}

/** Creates one isolated, empty store per test. */
export type EngineStoreFactory = () => Promise<EngineTestStore>;

export type ExecutorOptions = DurableExecutorOptions;

export interface EngineHarness {
  /** The current test's store. */
  readonly storage: DurableStorage;
  /**
   * A new executor (not started) on the current store, or on `storage` (a wrapper of it),
   * shut down after the test.
   */
  createExecutor(options?: ExecutorOptions, storage?: DurableStorage): DurableExecutor;
}

/** Keeps test output clean; the engine's logs are not part of what is tested. */
export const silentLogger = {
  debug: (): void => undefined,
  info: (): void => undefined,
  error: (): void => undefined,
};

/** A short backstop poll keeps cross-executor tests fast; wake-up tests override it. */
const TEST_DEFAULTS: ExecutorOptions = {
  backgroundProcessIntraBatchSleepMs: 25,
  logger: silentLogger,
};

export function useEngineHarness(factory: EngineStoreFactory): EngineHarness {
  let store: EngineTestStore | undefined;
  const executors: DurableExecutor[] = [];

  beforeEach(async () => {
    store = await factory();
  });

  afterEach(async () => {
    const toShutdown = executors.splice(0);
    await Promise.all(toShutdown.map((executor) => executor.shutdown({ timeoutMs: 1000 })));
    const toClose = store;
    store = undefined;
    await toClose?.close();
  });

  return {
    get storage(): DurableStorage {
      if (!store) throw new Error('The store exists only inside a test');
      return store.storage;
    },
    createExecutor(options?: ExecutorOptions, storage?: DurableStorage): DurableExecutor {
      if (!store) throw new Error('Executors can be created only inside a test');
      const executor = new DurableExecutor(storage ?? store.storage, {
        ...TEST_DEFAULTS,
        ...options,
      });
      executors.push(executor);
      return executor;
    },
  };
}

interface Waitable<T> {
  waitAndGetTaskFinishedExecution(options: { pollingIntervalMs?: number }): Promise<T>;
}

/**
 * Waits for a handle's execution to finish. The short polling fallback matters only when
 * another executor (possibly without a shared event channel) finishes the execution.
 */
export function waitFinished<T>(handle: Waitable<T>): Promise<T> {
  return handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: 25 });
}

/** Narrows to a completed execution, failing with the stored error otherwise. */
export function expectCompleted<O>(execution: FinishedTaskExecution<O>): CompletedTaskExecution<O> {
  if (execution.status !== 'completed') {
    throw new Error(`Expected completed, got ${execution.status}: ${execution.error.message}`);
  }
  return execution;
}

/** Narrows to a finished, not completed execution with the given status. */
export function expectFinishedWith<O>(
  execution: FinishedTaskExecution<O>,
  status: FailedTaskExecution['status'],
): FailedTaskExecution {
  expect(execution.status).toBe(status);
  if (execution.status === 'completed') throw new Error(`Expected ${status}, got completed`);
  return execution;
}

/**
 * Asserts that no execution of `taskIds` is stored as ready: claims with a far future `now`
 * (nothing else claims in such a test, the executor used there is not started).
 */
export async function expectNothingStored(
  storage: DurableStorage,
  taskIds: readonly string[],
): Promise<void> {
  const claimed = await storage.claimReadyExecutions({
    taskIds,
    limit: 10,
    now: Date.now() + 3_600_000,
    expireMs: 1000,
  });
  expect(claimed.map((row) => row.executionId)).toEqual([]);
}

export const EXECUTION_ID_PATTERN = /^te_[A-Za-z0-9_-]{24}$/;
