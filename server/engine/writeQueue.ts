/**
 * Group commit across kinds: enqueues, enqueues this executor runs at once, and run results
 * that arrive while a write is in flight all go into the next write, one commit for them all.
 * An app that awaits one enqueue at a time while its executor finishes the previous one thus
 * pays one commit per task, not two. A write that fails is retried kind by kind, so one
 * kind's failure (a duplicate execution id, say) never fails another's callers.
 */
import type { Logger } from './logger';
import type {
  DurableStorage,
  ExecutionRow,
  InsertedExecution,
  NewExecutionRow,
  RunResult,
  WriteBatch,
} from './storage';

/** What an insert claimed for this executor became. */
export interface ClaimedInsert {
  inserted: InsertedExecution;
  /** The row as stored (`running`), or null when its idempotency key was taken. */
  claimed: ExecutionRow | null;
}

interface Pending<TItem, TResult> {
  item: TItem;
  resolve: (result: TResult) => void;
  reject: (error: unknown) => void;
}

type Kinds = {
  inserts: Pending<NewExecutionRow, InsertedExecution>[];
  claimedInserts: Pending<NewExecutionRow, ClaimedInsert>[];
  results: Pending<RunResult, ExecutionRow | null>[];
};

const MAX_PER_KIND = 500;
/** Results are retried while the store is unreachable (bounded); enqueues fail at once. */
const RESULT_ATTEMPTS = 9;

export class WriteQueue {
  private pending: Kinds = { inserts: [], claimedInserts: [], results: [] };
  private flushing = false;

  constructor(
    private readonly storage: DurableStorage,
    private readonly expireMs: number,
    private readonly logger: Logger,
  ) {}

  insert(row: NewExecutionRow): Promise<InsertedExecution> {
    return this.add(this.pending.inserts, row);
  }

  /** Inserts `row` already claimed (running) for this executor. */
  insertClaimed(row: NewExecutionRow): Promise<ClaimedInsert> {
    return this.add(this.pending.claimedInserts, row);
  }

  /** Applies a run result; null when its lease was lost. */
  result(result: RunResult): Promise<ExecutionRow | null> {
    return this.add(this.pending.results, result);
  }

  private add<TItem, TResult>(queue: Pending<TItem, TResult>[], item: TItem): Promise<TResult> {
    return new Promise((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Not a microtask: the turn's other chains of promises (a run finishing while its
        // enqueuer awaits the previous insert, say) settle first and join this write.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    for (;;) {
      const batch: Kinds = {
        inserts: this.pending.inserts.splice(0, MAX_PER_KIND),
        claimedInserts: this.pending.claimedInserts.splice(0, MAX_PER_KIND),
        results: this.pending.results.splice(0, MAX_PER_KIND),
      };
      const kinds = [batch.inserts, batch.claimedInserts, batch.results].filter(
        (kind) => kind.length > 0,
      ).length;
      if (kinds === 0) break;
      try {
        this.settle(batch, await this.storage.write(this.toWrite(batch)));
      } catch (error) {
        if (kinds === 1) await this.retryAlone(batch, error);
        else await this.writeKindByKind(batch);
      }
    }
    this.flushing = false;
  }

  private toWrite(batch: Kinds): WriteBatch {
    return {
      inserts: batch.inserts.map((entry) => entry.item),
      claimedInserts: batch.claimedInserts.map((entry) => entry.item),
      results: batch.results.map((entry) => entry.item),
      now: Date.now(),
      expireMs: this.expireMs,
    };
  }

  private settle(batch: Kinds, outcome: Awaited<ReturnType<DurableStorage['write']>>): void {
    batch.inserts.forEach((entry, index) => entry.resolve(outcome.inserted[index]!));
    const claimedById = new Map(outcome.claimed.map((row) => [row.executionId, row]));
    batch.claimedInserts.forEach((entry, index) => {
      const inserted = outcome.inserted[batch.inserts.length + index]!;
      const claimed = inserted.created ? (claimedById.get(inserted.executionId) ?? null) : null;
      entry.resolve({ inserted, claimed });
    });
    batch.results.forEach((entry, index) => entry.resolve(outcome.applied[index] ?? null));
  }

  private async writeKindByKind(batch: Kinds): Promise<void> {
    const alone: Kinds[] = [
      { inserts: batch.inserts, claimedInserts: [], results: [] },
      { inserts: [], claimedInserts: batch.claimedInserts, results: [] },
      { inserts: [], claimedInserts: [], results: batch.results },
    ];
    for (const part of alone) {
      if (part.inserts.length + part.claimedInserts.length + part.results.length === 0) continue;
      try {
        this.settle(part, await this.storage.write(this.toWrite(part)));
      } catch (error) {
        await this.retryAlone(part, error);
      }
    }
  }

  /** A one-kind write failed: enqueues report it; results try again, with backoff. */
  private async retryAlone(part: Kinds, error: unknown): Promise<void> {
    if (part.results.length === 0) {
      for (const entry of [...part.inserts, ...part.claimedInserts]) entry.reject(error);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      if (attempt >= RESULT_ATTEMPTS) {
        for (const entry of part.results) entry.reject(error);
        return;
      }
      this.logger.error('Writing run results failed; retrying', error);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(5_000, 100 * 2 ** (attempt - 1))),
      );
      try {
        this.settle(part, await this.storage.write(this.toWrite(part)));
        return;
      } catch (retryError) {
        error = retryError;
      }
    }
  }
}
