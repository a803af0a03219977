/** The engine's public face. */
export { DurableExecutor, type RegisteredTaskInfo } from './executor';
export type { KeyUsage, TaskFlowStatus } from './flowStatus';
export {
  DEFAULT_IDEMPOTENCY_TTL_MS,
  MAX_KEY_LENGTH,
  type ConcurrencyOptions,
  type FlowControlOptions,
  type RateLimitOptions,
} from './flowControl';
export type { ExecutionPage } from './executionQueries';
export {
  isUnreadableValue,
  UNREADABLE_TEXT_MAX_CHARS,
  type UnreadableValue,
} from './executionView';
export type { DurableExecutorOptions } from './executorOptions';
export {
  DurableExecutionError,
  DurableExecutionTimedOutError,
  DurableExecutionCancelledError,
  DurableExecutorShutdownError,
  DurableExecutionNotFoundError,
  DurableInvalidInputError,
  type InputIssue,
  DurableSerializationError,
  DurableValueTooLargeError,
  toErrorStorageValue,
  type DurableExecutionErrorStorageValue,
  type DurableExecutionErrorType,
} from './errors';
export { DurableOptionsError } from './options';
export {
  createCancelSignal,
  createTimeoutCancelSignal,
  createCancellablePromise,
  combineCancelSignals,
  cancelSignalFromAbortSignal,
  type CancelSignal,
  type CancelSignalOptions,
} from './cancelSignal';
export { createInMemoryStorage } from './inMemoryStorage';
export {
  createSuperjsonSerializer,
  superjsonSerializer,
  WrappedSerializer,
  type Serializer,
} from './serializer';
export { createConsoleLogger, type Logger } from './logger';
export type { TaskHandle, WaitOptions } from './taskHandle';
export type { TaskBuilders, SequentialTask } from './taskBuilders';
export * from './types';
export * from './storage';
