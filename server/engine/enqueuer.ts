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
import type { DurableStorage, ExternalTransaction, NewExecutionRow } from './storage';
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
  private readonly inserts: Batcher<NewExecutionRow, undefined>;

  constructor(private readonly deps: EnqueuerDependencies) {
    this.inserts = new Batcher(async (rows) => {
      await deps.storage.insertExecutions(rows);
      return rows.map(() => undefined);
    }, 500);
  }

  /** Enqueues `items` of `taskId`; returns their execution ids, in order. */
  async enqueue(
    taskId: string,
    items: readonly EnqueueItem[],
    tx: ExternalTransaction | undefined,
  ): Promise<string[]> {
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
    if (tx) {
      await this.deps.storage.insertExecutions(rows, { transaction: tx });
      return rows.map((row) => row.executionId);
    }
    if (rows.length === 1) await this.inserts.add(rows[0]!);
    else await this.deps.storage.insertExecutions(rows);
    this.deps.events.emit('updated', { executionIds: rows.map((row) => row.executionId) });
    let wakeNow = false;
    for (const row of rows) {
      if (row.startAt > row.createdAt) this.deps.dueTimer.schedule(row.startAt);
      else wakeNow = true;
    }
    if (wakeNow) this.deps.wakeup.wake();
    return rows.map((row) => row.executionId);
  }
}
