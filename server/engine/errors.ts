/**
 * The engine's error classes. User code throws `DurableExecutionError` (or anything else,
 * which is treated as a retryable generic error); the engine throws the others.
 */

/**
 * Kinds are recorded on each instance under a registry symbol and `instanceof` checks them,
 * so an error thrown by one copy of this module (Next.js bundles instrumentation and routes
 * separately) is still recognised by another.
 */
const ERROR_KINDS = Symbol.for('durably.errorKinds');

interface ErrorClass {
  readonly kind?: string;
}

/** Thrown by user code or the engine. `isRetryable` decides whether a retry is attempted. */
export class DurableExecutionError extends Error {
  static readonly kind: string = 'DurableExecutionError';
  readonly isRetryable: boolean;
  readonly [ERROR_KINDS]: readonly string[];

  constructor(message: string, isRetryable = true) {
    super(message);
    const kinds: string[] = [];
    let c: ErrorClass | null = new.target;
    while (c?.kind) {
      kinds.push(c.kind);
      c = Object.getPrototypeOf(c) as ErrorClass | null;
    }
    this[ERROR_KINDS] = kinds;
    this.name = kinds[0] ?? 'DurableExecutionError';
    this.isRetryable = isRetryable;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(ERROR_KINDS in value)) return false;
    const kinds = value[ERROR_KINDS];
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }
}

/** A run exceeded its `timeoutMs`. Retryable: a slow attempt may succeed next time. */
export class DurableExecutionTimedOutError extends DurableExecutionError {
  static override readonly kind: string = 'DurableExecutionTimedOutError';
  constructor(message = 'Task timed out') {
    super(message, true);
  }
}

/** The execution (or an ancestor) was cancelled, or a wait was aborted. Never retried. */
export class DurableExecutionCancelledError extends DurableExecutionError {
  static override readonly kind: string = 'DurableExecutionCancelledError';
  constructor(message = 'Task cancelled') {
    super(message, false);
  }
}

/** The executor was shut down: no new work is accepted. */
export class DurableExecutorShutdownError extends DurableExecutionError {
  static override readonly kind: string = 'DurableExecutorShutdownError';
  constructor() {
    super('Executor shutdown', false);
  }
}

/** A task or execution id that the executor or store does not know. */
export class DurableExecutionNotFoundError extends DurableExecutionError {
  static override readonly kind: string = 'DurableExecutionNotFoundError';
  constructor(message: string) {
    super(message, false);
  }
}

/** One thing wrong with an input, where (a path into the input) and what. */
export interface InputIssue {
  path: (string | number)[];
  message: string;
}

/** What a schema validator throws: a summary and each issue. */
export class InputIssuesError extends Error {
  constructor(
    message: string,
    readonly issues: InputIssue[],
  ) {
    super(message);
  }
}

/** Input that its task's validator refused ("Invalid input to task <id>: ..."). Never retried. */
export class DurableInvalidInputError extends DurableExecutionError {
  static override readonly kind: string = 'DurableInvalidInputError';
  constructor(
    message: string,
    /** The schema's issues, when it gave them. */
    readonly issues: InputIssue[] = [],
  ) {
    super(message, false);
  }
}

/** A value the serializer could not write or read ("Error serializing value: ..."). */
export class DurableSerializationError extends DurableExecutionError {
  static override readonly kind: string = 'DurableSerializationError';
  constructor(message: string) {
    super(message, false);
  }
}

/** A serialized value over its size limit. */
export class DurableValueTooLargeError extends DurableSerializationError {
  static override readonly kind: string = 'DurableValueTooLargeError';
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

/**
 * A wakeup for a sleeping execution that already finished otherwise (it timed out, or was
 * cancelled): nothing is stored. Never retryable.
 */
export class DurableWakeupRefusedError extends DurableExecutionError {
  static override readonly kind: string = 'DurableWakeupRefusedError';
  constructor(
    message: string,
    readonly executionId: string,
    readonly executionStatus: string,
  ) {
    super(message, false);
  }
}
