/**
 * Cancellation primitives. A `CancelSignal` is a read-only view of a cancellation that user
 * code can poll, subscribe to, or hand to fetch-like APIs through its `abortSignal`.
 */
import { DurableExecutionCancelledError } from './errors';

export interface CancelSignal {
  isCancelled(): boolean;
  /** Calls `listener` once when cancelled (at once if already cancelled). Returns an unsubscribe. */
  onCancelled(listener: () => void): () => void;
  /** The same cancellation as an `AbortSignal`, for `fetch`, streams and timers. */
  readonly abortSignal: AbortSignal;
}

/** A new signal and the function that cancels it (idempotent). */
export function createCancelSignal(): [CancelSignal, () => void] {
  const controller = new AbortController();
  return [cancelSignalFromAbortSignal(controller.signal), () => controller.abort()];
}

export function cancelSignalFromAbortSignal(abortSignal: AbortSignal): CancelSignal {
  return {
    abortSignal,
    isCancelled: () => abortSignal.aborted,
    onCancelled(listener) {
      if (abortSignal.aborted) {
        listener();
        return () => undefined;
      }
      abortSignal.addEventListener('abort', listener, { once: true });
      return () => abortSignal.removeEventListener('abort', listener);
    },
  };
}

/** A signal cancelled after `timeoutMs`, and a function that clears its timer. */
export function createTimeoutCancelSignal(timeoutMs: number): [CancelSignal, () => void] {
  const [signal, cancel] = createCancelSignal();
  const timer = setTimeout(cancel, timeoutMs);
  return [signal, () => clearTimeout(timer)];
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
