/**
 * The engine's error classes. User code throws `DurableExecutionError` (or anything else,
 * which is treated as a retryable generic error); the engine throws the others.
 */

/** Thrown by user code or the engine. `isRetryable` decides whether a retry is attempted. */
export class DurableExecutionError extends Error {
  readonly isRetryable: boolean;

  constructor(message: string, isRetryable = true) {
    super(message);
    this.name = 'DurableExecutionError';
    this.isRetryable = isRetryable;
  }
}

/** A run exceeded its `timeoutMs`. Retryable: a slow attempt may succeed next time. */
export class DurableExecutionTimedOutError extends DurableExecutionError {
  constructor(message = 'Task timed out') {
    super(message, true);
    this.name = 'DurableExecutionTimedOutError';
  }
}

/** The execution (or an ancestor) was cancelled, or a wait was aborted. Never retried. */
export class DurableExecutionCancelledError extends DurableExecutionError {
  constructor(message = 'Task cancelled') {
    super(message, false);
    this.name = 'DurableExecutionCancelledError';
  }
}

/** The executor was shut down: no new work is accepted. */
export class DurableExecutorShutdownError extends DurableExecutionError {
  constructor() {
    super('Executor shutdown', false);
    this.name = 'DurableExecutorShutdownError';
  }
}

/** A task or execution id that the executor or store does not know. */
export class DurableExecutionNotFoundError extends DurableExecutionError {
  constructor(message: string) {
    super(message, false);
    this.name = 'DurableExecutionNotFoundError';
  }
}

export type DurableExecutionErrorType = 'generic' | 'timed_out' | 'cancelled';

/** How an error is stored on an execution. */
export interface DurableExecutionErrorStorageValue {
  errorType: DurableExecutionErrorType;
  message: string;
  isRetryable: boolean;
  stack?: string;
}

/** Normalises anything thrown by user code into its stored form. */
export function toErrorStorageValue(error: unknown): DurableExecutionErrorStorageValue {
  if (error instanceof DurableExecutionCancelledError) {
    return withStack({ errorType: 'cancelled', message: error.message, isRetryable: false }, error);
  }
  if (error instanceof DurableExecutionTimedOutError) {
    return withStack({ errorType: 'timed_out', message: error.message, isRetryable: true }, error);
  }
  if (error instanceof DurableExecutionError) {
    return withStack(
      { errorType: 'generic', message: error.message, isRetryable: error.isRetryable },
      error,
    );
  }
  if (error instanceof Error) {
    return withStack({ errorType: 'generic', message: error.message, isRetryable: true }, error);
  }
  return { errorType: 'generic', message: describeThrown(error), isRetryable: true };
}

/** Rebuilds an error instance from its stored form (used to reject waits and handles). */
export function fromErrorStorageValue(
  value: DurableExecutionErrorStorageValue,
): DurableExecutionError {
  switch (value.errorType) {
    case 'cancelled':
      return new DurableExecutionCancelledError(value.message);
    case 'timed_out':
      return new DurableExecutionTimedOutError(value.message);
    case 'generic':
      return new DurableExecutionError(value.message, value.isRetryable);
  }
}

function withStack(
  value: DurableExecutionErrorStorageValue,
  error: Error,
): DurableExecutionErrorStorageValue {
  return error.stack ? { ...value, stack: error.stack } : value;
}

function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  try {
    return JSON.stringify(thrown) ?? String(thrown);
  } catch {
    return String(thrown);
  }
}
