/**
 * Enqueueing root executions: validates every input and option first (so bad input writes
 * nothing), then inserts, and wakes the claim loop. Single enqueues share inserts through
 * group commit; a bulk enqueue is one insert; an enqueue in the app's transaction goes
 * through it and wakes nobody here: the store announces it once the app commits.
 */
import { Batcher } from './batcher';
import type { ExecutorEvents } from './events';
import { buildNewExecution, ROOT_POSITION } from './newExecution';
import type { SafeSerializer } from './serializer';
import type {
  DurableStorage,
  ExternalTransaction,
  InsertedExecution,
  NewExecutionRow,
} from './storage';
import type { TaskRegistry } from './taskRegistry';
import type { TaskEnqueueOptions } from './types';
import type { EarliestTimer, Wakeup } from './wakeup';

/** One execution to enqueue. */
export interface EnqueueItem {
  input: unknown;
  options?: TaskEnqueueOptions;
}

export interface EnqueuerDependencies {
  storage: DurableStorage;
  registry: TaskRegistry;
  serializer: SafeSerializer;
  maxInputBytes: number;
  events: ExecutorEvents;
  wakeup: Wakeup;
  dueTimer: EarliestTimer;
}

export class Enqueuer {
  private readonly inserts: Batcher<NewExecutionRow, InsertedExecution>;

  constructor(private readonly deps: EnqueuerDependencies) {
    this.inserts = new Batcher((rows) => deps.storage.insertExecutions(rows), 500);
  }

  /**
   * Enqueues `items` of `taskId`; returns, in order, each one's execution (the existing one
   * when its idempotency key was taken) and whether it was created.
   */
  async enqueue(
    taskId: string,
    items: readonly EnqueueItem[],
    tx: ExternalTransaction | undefined,
  ): Promise<InsertedExecution[]> {
    const definition = this.deps.registry.get(taskId);
    const now = Date.now();
    const rows = await Promise.all(
      items.map(({ input, options }) =>
        buildNewExecution(this.deps.serializer, this.deps.maxInputBytes, {
          definition,
          input,
          options,
          position: ROOT_POSITION,
          now,
        }),
      ),
    );
    if (rows.length === 0) return [];
    if (tx) return this.deps.storage.insertExecutions(rows, { transaction: tx });
    const results =
      rows.length === 1
        ? [await this.inserts.add(rows[0]!)]
        : await this.deps.storage.insertExecutions(rows);
    const created = rows.filter((_, index) => results[index]?.created);
    if (created.length > 0) {
      this.deps.events.emit('updated', { executionIds: created.map((row) => row.executionId) });
    }
    let wakeNow = false;
    for (const row of created) {
      if (row.startAt > row.createdAt) this.deps.dueTimer.schedule(row.startAt);
      else wakeNow = true;
    }
    if (wakeNow) this.deps.wakeup.wake();
    return results;
  }
}
