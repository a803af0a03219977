/**
 * Enqueueing root executions: validates every input and option first (so bad input writes
 * nothing), then inserts, and wakes the claim loop. Single enqueues share commits with other
 * writes through the write queue, and one that this executor can run at once is inserted
 * already claimed and started (no claim, no wake-up); a bulk enqueue is one insert; an
 * enqueue in the app's transaction goes through it and wakes nobody here: the store
 * announces it once the app commits.
 */
import type { ExecutorEvents } from './events';
import { buildNewExecution, ROOT_POSITION } from './newExecution';
import type { SafeSerializer } from './serializer';
import type {
  DurableStorage,
  ExecutionRow,
  ExternalTransaction,
  InsertedExecution,
  NewExecutionRow,
} from './storage';
import type { TaskRegistry } from './taskRegistry';
import { traceEnqueue } from './telemetry';
import type { TaskEnqueueOptions } from './types';
import type { EarliestTimer, Wakeup } from './wakeup';
import type { WriteQueue } from './writeQueue';

/** One execution to enqueue. */
export interface EnqueueItem {
  input: unknown;
  options?: TaskEnqueueOptions;
}

/** Runs an enqueued row in this executor at once (the run scheduler). */
export interface DirectStarts {
  reserveDirectStart(row: NewExecutionRow): boolean;
  endDirectStart(claimed: ExecutionRow | null): void;
}

export interface EnqueuerDependencies {
  storage: DurableStorage;
  writes: WriteQueue;
  directStarts: DirectStarts;
  registry: TaskRegistry;
  serializer: SafeSerializer;
  maxInputBytes: number;
  events: ExecutorEvents;
  wakeup: Wakeup;
  dueTimer: EarliestTimer;
  /** Registers sleeping rows just inserted, applying wakeups that came first. */
  registerSleeping: (rows: readonly NewExecutionRow[]) => Promise<void>;
}

export class Enqueuer {
  constructor(private readonly deps: EnqueuerDependencies) {}

  /**
   * Enqueues `items` of `taskId`; returns, in order, each one's execution (the existing one
   * when its idempotency key was taken) and whether it was created.
   */
  enqueue(
    taskId: string,
    items: readonly EnqueueItem[],
    tx: ExternalTransaction | undefined,
    { validated = false, owner = null }: { validated?: boolean; owner?: string | null } = {},
  ): Promise<InsertedExecution[]> {
    // One span per enqueue call; its trace context is stored with every row it inserts.
    return traceEnqueue(taskId, async (traceContext) => {
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
            traceContext,
            validated,
            owner,
          }),
        ),
      );
      const result = await this.insert(rows, tx);
      return { rows: rows.filter((_, index) => result[index]?.created), result };
    });
  }

  private async insert(
    rows: NewExecutionRow[],
    tx: ExternalTransaction | undefined,
  ): Promise<InsertedExecution[]> {
    if (rows.length === 0) return [];
    if (tx) return this.deps.storage.insertExecutions(rows, { transaction: tx });
    if (rows.length === 1 && this.deps.directStarts.reserveDirectStart(rows[0]!)) {
      return [await this.insertAndStart(rows[0]!)];
    }
    const results =
      rows.length === 1
        ? [await this.deps.writes.insert(rows[0]!)]
        : await this.deps.storage.insertExecutions(rows);
    const created = rows.filter((_, index) => results[index]?.created);
    this.emitCreated(created);
    const sleeping = created.filter((row) => row.waitsForEvent);
    if (sleeping.length > 0) await this.deps.registerSleeping(sleeping);
    let wakeNow = false;
    for (const row of created) {
      if (row.waitsForEvent) continue;
      if (row.startAt > row.createdAt) this.deps.dueTimer.schedule(row.startAt);
      else wakeNow = true;
    }
    if (wakeNow) this.deps.wakeup.wake();
    return results;
  }

  /** Inserts `row` claimed for this executor (a slot is reserved) and starts it. */
  private async insertAndStart(row: NewExecutionRow): Promise<InsertedExecution> {
    let claimed: ExecutionRow | null = null;
    try {
      const written = await this.deps.writes.insertClaimed(row);
      claimed = written.claimed;
      return written.inserted;
    } finally {
      this.deps.directStarts.endDirectStart(claimed);
      if (claimed) this.emitCreated([row]);
    }
  }

  private emitCreated(rows: readonly NewExecutionRow[]): void {
    if (rows.length === 0) return;
    this.deps.events.emit('updated', { executionIds: rows.map((row) => row.executionId) });
  }
}
