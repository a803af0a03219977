/**
 * Turns a push subscription into an async stream of batches: ids pushed while the consumer
 * is busy are merged, and at most one batch is yielded per `minIntervalMs`.
 */
export async function* eventBatches(
  subscribe: (push: (ids: readonly string[]) => void) => () => void,
  signal: AbortSignal | undefined,
  minIntervalMs: number,
): AsyncGenerator<string[]> {
  let pending = new Set<string>();
  let anyChange = false;
  let notify: (() => void) | null = null;
  const unsubscribe = subscribe((ids) => {
    anyChange = true;
    for (const id of ids) pending.add(id);
    notify?.();
  });
  const aborted = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    while (!signal?.aborted) {
      if (!anyChange) {
        await Promise.race([new Promise<void>((resolve) => (notify = resolve)), aborted]);
        notify = null;
        continue;
      }
      const batch = [...pending];
      pending = new Set();
      anyChange = false;
      yield batch;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, minIntervalMs)), aborted]);
    }
  } finally {
    unsubscribe();
  }
}
