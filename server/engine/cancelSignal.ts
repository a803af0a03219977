/**
 * Cancellation primitives. A `CancelSignal` is a read-only view of a cancellation that user
 * code can poll, subscribe to, or hand to fetch-like APIs through its `abortSignal`.
 */
import { DurableExecutionCancelledError } from './errors';
import { createConsoleLogger, type Logger } from './logger';

export interface CancelSignal {
  isCancelled(): boolean;
  /**
   * Calls `listener` once when cancelled (at once if already cancelled). Returns an
   * unsubscribe; `clearOnCancelled(listener)` does the same.
   */
  onCancelled(listener: () => void): () => void;
  /** Removes a listener given to `onCancelled`. */
  clearOnCancelled(listener: () => void): void;
  /** The same cancellation as an `AbortSignal`, for `fetch`, streams and timers. */
  readonly abortSignal: AbortSignal;
}

export interface CancelSignalOptions {
  /** Cancels the signal too when it aborts. */
  abortSignal?: AbortSignal;
  /** Where a listener that throws is reported. @default the console */
  logger?: Logger;
}

/** A new signal and the function that cancels it (idempotent). */
export function createCancelSignal({ abortSignal, logger }: CancelSignalOptions = {}): [
  CancelSignal,
  () => void,
] {
  const controller = new AbortController();
  const cancel = () => {
    abortSignal?.removeEventListener('abort', cancel);
    controller.abort();
  };
  if (abortSignal?.aborted) cancel();
  else abortSignal?.addEventListener('abort', cancel, { once: true });
  return [cancelSignalFromAbortSignal(controller.signal, logger), cancel];
}

/**
 * A view of `abortSignal` as a cancel signal. A listener that throws is logged: thrown from an
 * abort listener, its error would otherwise become an uncaught exception.
 */
export function cancelSignalFromAbortSignal(
  abortSignal: AbortSignal,
  logger: Logger = createConsoleLogger(false),
): CancelSignal {
  const wrappers = new Map<() => void, () => void>();
  const clearOnCancelled = (listener: () => void) => {
    const wrapper = wrappers.get(listener);
    if (!wrapper) return;
    wrappers.delete(listener);
    abortSignal.removeEventListener('abort', wrapper);
  };
  const call = (listener: () => void) => {
    try {
      listener();
    } catch (error) {
      logger.error('A cancel signal listener threw', error);
    }
  };
  return {
    abortSignal,
    isCancelled: () => abortSignal.aborted,
    clearOnCancelled,
    onCancelled(listener) {
      if (abortSignal.aborted) {
        call(listener);
        return () => undefined;
      }
      if (!wrappers.has(listener)) {
        const wrapper = () => {
          wrappers.delete(listener);
          call(listener);
        };
        wrappers.set(listener, wrapper);
        abortSignal.addEventListener('abort', wrapper, { once: true });
      }
      return () => clearOnCancelled(listener);
    },
  };
}

/**
 * A signal cancelled after `timeoutMs`. Nothing can clear its timer, so the timer is unref'd:
 * a signal no longer waited on never delays the exit of the process.
 */
export function createTimeoutCancelSignal(
  timeoutMs: number,
  { logger }: { logger?: Logger } = {},
): CancelSignal {
  const [signal, cancel] = createCancelSignal({ logger });
  setTimeout(cancel, timeoutMs).unref();
  return signal;
}

/** Cancelled as soon as any of `signals` is. */
export function combineCancelSignals(...signals: CancelSignal[]): CancelSignal {
  return cancelSignalFromAbortSignal(AbortSignal.any(signals.map((s) => s.abortSignal)));
}

export function isCancelSignal(value: unknown): value is CancelSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    'onCancelled' in value &&
    'isCancelled' in value &&
    'abortSignal' in value
  );
}

export function toCancelSignal(signal: AbortSignal | CancelSignal): CancelSignal {
  return isCancelSignal(signal) ? signal : cancelSignalFromAbortSignal(signal);
}

/**
 * Races `promise` against `signal`: rejects with `DurableExecutionCancelledError` when the
 * signal fires first. The listener is always removed, so nothing leaks.
 */
export function createCancellablePromise<T>(promise: Promise<T>, signal: CancelSignal): Promise<T> {
  if (signal.isCancelled()) return Promise.reject(new DurableExecutionCancelledError());
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = signal.onCancelled(() => reject(new DurableExecutionCancelledError()));
    promise.then(
      (value) => {
        unsubscribe();
        resolve(value);
      },
      (error: unknown) => {
        unsubscribe();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
