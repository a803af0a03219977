/** A handle on one execution: read it, wait for it to finish, cancel it. */
import { toCancelSignal, type CancelSignal } from './cancelSignal';
import { DurableExecutionCancelledError, DurableExecutionNotFoundError } from './errors';
import type { ExecutorEvents } from './events';
import { toTaskExecution } from './executionView';
import type { SafeSerializer } from './serializer';
import type { DurableStorage, ExecutionRow } from './storage';
import type { FinishedTaskExecution, TaskExecution } from './types';
import { isFinishedStatus } from './types';

export interface WaitOptions {
  signal?: AbortSignal | CancelSignal;
  /** Fallback poll when no finish event arrives (another process without notifications). */
  pollingIntervalMs?: number;
}

export interface TaskHandle<TOutput> {
  /**
   * Whether the enqueue that returned this handle created the execution: false when its
   * idempotency key was taken, and the handle is the existing execution's (and for handles
   * from `getTaskHandle`).
   */
  readonly created: boolean;
  getTaskId(): string;
  getTaskExecutionId(): string;
  getTaskExecution(): Promise<TaskExecution<TOutput>>;
  waitAndGetTaskFinishedExecution(options?: WaitOptions): Promise<FinishedTaskExecution<TOutput>>;
  /** Cancels the execution and its active descendants. Idempotent; no-op once finished. */
  cancel(): Promise<void>;
}

export interface HandleDependencies {
  storage: DurableStorage;
  /** Reads one execution; concurrent reads are merged into one storage call. */
  readExecution: (executionId: string) => Promise<ExecutionRow | null>;
  serializer: SafeSerializer;
  events: ExecutorEvents;
  cancelExecution: (executionId: string) => Promise<void>;
  defaultPollingIntervalMs: number;
}

/** Turns a row (and its children) into the execution a handle returns. */
export type ExecutionView<TOutput> = (
  row: ExecutionRow,
  children: ExecutionRow[] | null,
) => TaskExecution<TOutput>;

export interface HandleOptions<TOutput> {
  /**
   * The execution was just enqueued by this process, so it is known active: its first wait
   * skips the read and waits for the finish event (or a late one it remembers).
   */
  enqueued?: boolean;
  /** @default false */
  created?: boolean;
  /** @default strict `toTaskExecution`: a value that cannot be deserialized throws. */
  view?: ExecutionView<TOutput>;
}

export function createTaskHandle<TOutput>(
  deps: HandleDependencies,
  taskId: string,
  executionId: string,
  {
    enqueued = false,
    created = false,
    view = (row, children) => toTaskExecution<TOutput>(deps.serializer, row, children),
  }: HandleOptions<TOutput> = {},
): TaskHandle<TOutput> {
  let knownActive = enqueued;
  const toExecution = async (row: ExecutionRow): Promise<TaskExecution<TOutput>> => {
    const children = row.childrenCount > 0 ? await deps.storage.getChildren(executionId) : null;
    return view(row, children);
  };
  const read = async (): Promise<TaskExecution<TOutput>> => {
    const row = await deps.readExecution(executionId);
    if (!row) throw new DurableExecutionNotFoundError(`Execution ${executionId} not found`);
    return toExecution(row);
  };

  return {
    created,
    getTaskId: () => taskId,
    getTaskExecutionId: () => executionId,
    getTaskExecution: read,
    cancel: () => deps.cancelExecution(executionId),
    async waitAndGetTaskFinishedExecution(options = {}) {
      const skipFirstRead = knownActive;
      knownActive = false;
      const row = await waitForFinishedRow(deps, executionId, { ...options, skipFirstRead });
      return (await toExecution(row)) as FinishedTaskExecution<TOutput>;
    },
  };
}

/**
 * The execution's row once it finished: read it, then wait for its finish event (which may
 * carry the row) or the polling interval, and again. `skipFirstRead`: it is known active
 * (just enqueued here), so only a finish already seen would make the first read worth it.
 */
export async function waitForFinishedRow(
  deps: Pick<HandleDependencies, 'readExecution' | 'events' | 'defaultPollingIntervalMs'>,
  executionId: string,
  options: WaitOptions & { skipFirstRead?: boolean } = {},
): Promise<ExecutionRow> {
  const signal = options.signal ? toCancelSignal(options.signal) : null;
  const pollingIntervalMs = options.pollingIntervalMs ?? deps.defaultPollingIntervalMs;
  let skipRead = options.skipFirstRead === true;
  for (;;) {
    if (signal?.isCancelled()) throw new DurableExecutionCancelledError();
    // Listen before reading, so a finish between the read and the wait is not missed.
    const finishedOrTimeout = waitForFinish(deps.events, executionId, pollingIntervalMs, signal);
    try {
      if (!skipRead || deps.events.finishedRecently(executionId)) {
        const row = await deps.readExecution(executionId);
        if (!row) throw new DurableExecutionNotFoundError(`Execution ${executionId} not found`);
        if (isFinishedStatus(row.status)) return row;
      }
      skipRead = false;
      // The finish event may carry the row as committed: then there is nothing to read.
      const finishedRow = await finishedOrTimeout.promise;
      if (finishedRow && isFinishedStatus(finishedRow.status)) return finishedRow;
    } finally {
      finishedOrTimeout.dispose();
    }
  }
}

function waitForFinish(
  events: ExecutorEvents,
  executionId: string,
  pollingIntervalMs: number,
  signal: CancelSignal | null,
): { promise: Promise<ExecutionRow | undefined>; dispose: () => void } {
  let dispose = () => undefined as void;
  const promise = new Promise<ExecutionRow | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), pollingIntervalMs);
    const offFinished = events.onFinished(executionId, resolve);
    const offCancelled = signal ? signal.onCancelled(() => resolve(undefined)) : () => undefined;
    dispose = () => {
      clearTimeout(timer);
      offFinished();
      offCancelled();
      resolve(undefined);
    };
  });
  return { promise, dispose };
}
