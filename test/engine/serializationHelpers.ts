/**
 * Shared by the deserialization, serialization-limit and logging tests: an in-memory store,
 * a logger that records, and rows written straight to the store as another process would.
 */
import { expect } from 'vitest';
import { createInMemoryStorage, DurableExecutionError } from '@/server/engine';
import type { DurableStorage, ExecutionRow, Logger, NewExecutionRow } from '@/server/engine';
import type { EngineStoreFactory } from './conformance/harness';

export const inMemoryStore: EngineStoreFactory = () =>
  Promise.resolve({ storage: createInMemoryStorage(), close: () => Promise.resolve() });

export interface RecordingLogger extends Logger {
  readonly debugs: string[];
  readonly infos: string[];
  readonly errors: { message: string; error: unknown }[];
}

export function createRecordingLogger(): RecordingLogger {
  const debugs: string[] = [];
  const infos: string[] = [];
  const errors: { message: string; error: unknown }[] = [];
  return {
    debugs,
    infos,
    errors,
    debug: (message) => {
      debugs.push(message);
    },
    info: (message) => {
      infos.push(message);
    },
    error: (message, error) => {
      errors.push({ message, error });
    },
  };
}

let rowCount = 0;

/** A root row as another process (or another version of this one) would have stored it. */
export function storedRootRow(taskId: string, runInput: string): NewExecutionRow {
  rowCount += 1;
  const now = Date.now();
  return {
    executionId: `te_${String(rowCount).padStart(24, '0')}`,
    taskId,
    runInput,
    retryOptions: { maxAttempts: 2, baseDelayMs: 0, delayMultiplier: 1, maxDelayMs: null },
    sleepMsBeforeRun: 0,
    timeoutMs: 1000,
    startAt: now,
    createdAt: now,
    rootTaskId: null,
    rootExecutionId: null,
    parentTaskId: null,
    parentExecutionId: null,
    indexInParent: 0,
    isFinalizeTask: false,
    onChildFailure: 'failParent',
    priority: 0,
    concurrencyKey: null,
    rateKey: null,
    idempotencyKey: null,
    idempotencyExpiresAt: null,
    owner: null,
  };
}

/** Claims `row` (inserted before) through the store, as a remote executor would. */
export async function claimStored(
  storage: DurableStorage,
  row: NewExecutionRow,
): Promise<ExecutionRow> {
  const [claimed] = await storage.claimReadyExecutions({
    taskIds: [row.taskId],
    limit: 1,
    now: Date.now(),
    expireMs: 60_000,
  });
  if (claimed?.executionId !== row.executionId) throw new Error('The stored row was not claimed');
  return claimed;
}

/** The engine's non-retryable serializer error. */
export function expectSerializerError(error: unknown, message: string | RegExp): void {
  expect(error).toBeInstanceOf(DurableExecutionError);
  const engineError = error as DurableExecutionError;
  expect(engineError.isRetryable).toBe(false);
  if (typeof message === 'string') expect(engineError.message).toBe(message);
  else expect(engineError.message).toMatch(message);
}
