import type { ExecutionRow } from './storage';

/**
 * The engine's typed events. Loops and waits subscribe here instead of polling: a finished
 * execution resolves its waiters at once, new work wakes the claim loop.
 */
export interface ExecutorEventMap {
  /** New or retried work may be due (in this process or, via the store, another). */
  workReady: undefined;
  /**
   * These executions reached a finished status; `rows`, when given, are some of them as
   * committed, so their waiters need not read them back.
   */
  finished: { executionIds: readonly string[]; rows?: readonly ExecutionRow[] };
  /** These executions were cancelled: abort their code if it runs here. */
  cancelled: { executionIds: readonly string[] };
  /**
   * These executions changed (created, claimed, retried, waiting, finished); an empty list
   * means "something changed" (a notification from another process). For live views.
   */
  updated: { executionIds: readonly string[] };
}

type Listener<T> = (payload: T) => void;

export class ExecutorEvents {
  private readonly listeners: {
    [K in keyof ExecutorEventMap]: Set<Listener<ExecutorEventMap[K]>>;
  } = { workReady: new Set(), finished: new Set(), cancelled: new Set(), updated: new Set() };
  /** Finish waiters by execution id: O(1) per finished execution, however many waits. */
  private readonly finishWaiters = new Map<string, Set<(row?: ExecutionRow) => void>>();
  /** The latest finished ids (bounded), so a wait that starts late still sees the event. */
  private readonly recentlyFinished = new Set<string>();
  private static readonly RECENTLY_FINISHED_LIMIT = 10_000;

  on<K extends keyof ExecutorEventMap>(
    event: K,
    listener: Listener<ExecutorEventMap[K]>,
  ): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  emit<K extends keyof ExecutorEventMap>(event: K, payload: ExecutorEventMap[K]): void {
    if (event === 'finished') {
      const { executionIds, rows } = payload as ExecutorEventMap['finished'];
      // Indexed only once a finished execution has waiters: most have none.
      let rowsById: Map<string, ExecutionRow> | undefined;
      for (const id of executionIds) {
        this.rememberFinished(id);
        const waiters = this.finishWaiters.get(id);
        if (!waiters) continue;
        rowsById ??= new Map(rows?.map((row) => [row.executionId, row]));
        for (const waiter of [...waiters]) waiter(rowsById.get(id));
      }
    }
    for (const listener of [...this.listeners[event]]) listener(payload);
    if (event === 'finished') this.emit('updated', payload as ExecutorEventMap['finished']);
  }

  /** Whether this process saw `executionId` finish recently. */
  finishedRecently(executionId: string): boolean {
    return this.recentlyFinished.has(executionId);
  }

  private rememberFinished(executionId: string): void {
    this.recentlyFinished.add(executionId);
    if (this.recentlyFinished.size > ExecutorEvents.RECENTLY_FINISHED_LIMIT) {
      const oldest = this.recentlyFinished.values().next().value;
      if (oldest !== undefined) this.recentlyFinished.delete(oldest);
    }
  }

  /**
   * Calls `listener` when `executionId` finishes, with its row when the event carried it;
   * returns the unsubscribe.
   */
  onFinished(executionId: string, listener: (row?: ExecutionRow) => void): () => void {
    let waiters = this.finishWaiters.get(executionId);
    if (!waiters) {
      waiters = new Set();
      this.finishWaiters.set(executionId, waiters);
    }
    waiters.add(listener);
    return () => {
      waiters.delete(listener);
      if (waiters.size === 0) this.finishWaiters.delete(executionId);
    };
  }
}
