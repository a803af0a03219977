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
export type { ExecutorState, ExecutorView } from './executorsView';
export {
  DURATION_BIN_EDGES_MS,
  type ExecutionMetrics,
  type MetricsPoint,
  type MetricsWindow,
} from './metrics';
export {
  BulkOperations,
  type BulkActionKind,
  type BulkDependencies,
  type BulkOperation,
  type BulkOperationState,
  type BulkTarget,
} from './bulkOperations';
export { parseRetention, RETENTION_LEASE, type RetentionStorage } from './retention';
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
  DurableWakeupRefusedError,
  DurableInvalidInputError,
  type InputIssue,
  DurableSerializationError,
  DurableValueTooLargeError,
  toErrorStorageValue,
  type DurableExecutionErrorStorageValue,
  type DurableExecutionErrorType,
} from './errors';
export { DurableOptionsError } from './options';
export { parseValuePath, validateValuePath } from './valuePath';
export type {
  SleepingTask,
  SleepingTaskOptions,
  SleepingTaskWakeup,
  SleepingTaskWakeupResult,
  WakeupOptions,
} from './sleepingTasks';
export {
  DEFAULT_WAKEUP_TTL_MS,
  MAX_UNIQUE_ID_LENGTH,
  SLEEPING_TIMED_OUT_ERROR,
  type SleepingExecutionRef,
  type SleepingTimeoutRequest,
  type SleepingTimeoutResult,
  type StoredWakeupOutcome,
  type WakeupRequest,
  type WakeupResult,
} from './sleepingTypes';
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
