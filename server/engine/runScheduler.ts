/**
 * The claim loop and the runs it starts: claims due executions of registered tasks while
 * there is capacity, runs them, and writes their results in batches. Sleeps until woken by
 * new work, a freed slot, a due timer or the backstop poll.
 */
import { createCancelSignal, type CancelSignal } from './cancelSignal';
import { Batcher } from './batcher';
import type { Closer } from './closer';
import type { ExecutorEvents } from './events';
import type { Logger } from './logger';
import { runExecution, type RunDependencies } from './runOutcome';
import type {
  DurableStorage,
  ExecutionRow,
  RunOutcome,
  RunResult,
  TaskFlowLimits,
} from './storage';
import { EarliestTimer, Wakeup } from './wakeup';

export interface SchedulerOptions {
  maxConcurrentTaskExecutions: number;
  maxTaskExecutionsPerBatch: number;
  expireMs: number;
  backstopPollMs: number;
}

interface RunningExecution {
  leaseToken: number;
  abort: AbortController;
  done: Promise<void>;
}

export class RunScheduler {
  readonly wakeup = new Wakeup();
  readonly dueTimer = new EarliestTimer(() => this.wakeup.wake());
  private readonly running = new Map<string, RunningExecution>();
  private readonly results: Batcher<RunResult, ExecutionRow | null>;
  private readonly shutdown: [CancelSignal, () => void];
  private stopping = false;
  private waitingForCapacity = false;
  /** Set once stop() returns: results of runs that outlived the shutdown are dropped. */
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly storage: DurableStorage,
    private readonly deps: RunDependencies,
    private readonly closer: Closer,
    private readonly events: ExecutorEvents,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions,
  ) {
    this.results = new Batcher((batch) => this.writeResults(batch), 500);
    this.shutdown = createCancelSignal({ logger });
  }

  start(): void {
    this.loop ??= this.claimLoop();
  }

  /** Ids of the executions running in this process now. */
  runningExecutionIds(): ReadonlySet<string> {
    return new Set(this.running.keys());
  }

  /** Running executions of this process, for the backstop's lost-lease check. */
  runningLeases(): { executionId: string; leaseToken: number }[] {
    return [...this.running].map(([executionId, { leaseToken }]) => ({ executionId, leaseToken }));
  }

  /** Aborts local runs of these executions (cancelled, or their lease moved elsewhere). */
  abort(executionIds: readonly string[]): void {
    for (const id of executionIds) this.running.get(id)?.abort.abort();
  }

  /** Stops claiming, signals shutdown to running code, waits for runs up to `timeoutMs`. */
  async stop(timeoutMs: number | undefined): Promise<void> {
    this.stopping = true;
    this.dueTimer.clear();
    this.wakeup.wake();
    this.shutdown[1]();
    await this.loop;
    const allDone = Promise.all([...this.running.values()].map((r) => r.done));
    if (timeoutMs === undefined) {
      await allDone;
    } else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([allDone, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.stopped = true;
    // Runs that outlived the bound keep their lease (another executor recovers them); abort
    // them here so their timers are cleared and the process can exit.
    this.abort([...this.running.keys()]);
    // Runs that finished during the wait may have scheduled a retry wake-up; the backstop
    // loop may still schedule one while it stops.
    this.dueTimer.dispose();
  }

  private async claimLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const capacity = this.options.maxConcurrentTaskExecutions - this.running.size;
      const limit = Math.min(capacity, this.options.maxTaskExecutionsPerBatch);
      const taskIds = this.deps.registry.taskIds();
      if (limit > 0 && taskIds.length > 0) {
        try {
          const flowLimits = this.deps.registry.flowLimits();
          const rows = await this.storage.claimReadyExecutions({
            taskIds,
            limit,
            now: Date.now(),
            expireMs: this.options.expireMs,
            ...(flowLimits.length > 0 ? { flowLimits } : {}),
          });
          failures = 0;
          for (const row of rows) this.startRun(row);
          if (rows.length > 0) {
            this.events.emit('updated', { executionIds: rows.map((r) => r.executionId) });
          }
          if (rows.length === limit) continue;
          await this.scheduleRateLimited(flowLimits);
        } catch (error) {
          failures += 1;
          this.logger.error('Claiming executions failed; backing off', error);
          await this.wakeup.wait(Math.min(30_000, this.options.backstopPollMs * 2 ** failures));
          continue;
        }
      }
      // A finished run frees a slot; it need only wake a loop that waits for one. Other new
      // work (enqueues, children, retries, notifications) has wake-ups of its own.
      this.waitingForCapacity = limit <= 0;
      if (!this.stopping) await this.wakeup.wait(this.options.backstopPollMs);
      this.waitingForCapacity = false;
    }
  }

  /**
   * A claim pushes the due executions of a rate key out of budget to when it frees up: wake
   * then, not at the next backstop tick. Only for executors with rate-limited tasks.
   */
  private async scheduleRateLimited(flowLimits: readonly TaskFlowLimits[]): Promise<void> {
    const rated = flowLimits.filter((limit) => limit.rateLimit).map((limit) => limit.taskId);
    if (rated.length === 0) return;
    const next = await this.storage.getNextDueAt(rated);
    // A past time is a row held back by a concurrency slot: a finish wakes the loop for it.
    if (next !== null && next > Date.now()) this.dueTimer.schedule(next);
  }

  private startRun(row: ExecutionRow): void {
    const abort = new AbortController();
    const entry: RunningExecution = { leaseToken: row.leaseToken, abort, done: Promise.resolve() };
    this.running.set(row.executionId, entry);
    entry.done = runExecution(this.deps, row, {
      cancel: abort.signal,
      shutdownSignal: this.shutdown[0],
    })
      .then((outcome) => this.finishRun(row, outcome, abort.signal))
      .catch((error: unknown) => this.logger.error(`Run of ${row.executionId} failed`, error))
      .finally(() => {
        this.running.delete(row.executionId);
        // A freed slot of this executor, or of the task's concurrency limit, may let more run.
        if (this.waitingForCapacity || row.concurrencyKey !== null) this.wakeup.wake();
      });
  }

  private async finishRun(row: ExecutionRow, outcome: RunOutcome, abort: AbortSignal) {
    // Aborted runs were cancelled or lost their lease: their result is dropped by the store
    // anyway, so do not spend a write on it.
    if (abort.aborted || this.stopped) return;
    const updated = await this.results.add({
      executionId: row.executionId,
      leaseToken: row.leaseToken,
      outcome,
    });
    if (!updated) {
      this.logger.debug(`Result of ${row.executionId} dropped: lease lost or cancelled`);
      return;
    }
    switch (outcome.kind) {
      case 'completed':
      case 'finished_with_error':
        // The updated row goes with the event: this process's waiters need not read it back.
        this.events.emit('finished', { executionIds: [row.executionId], rows: [updated] });
        if (row.parentExecutionId !== null) await this.closer.close(row.executionId);
        return;
      case 'retry':
        this.events.emit('updated', { executionIds: [row.executionId] });
        this.dueTimer.schedule(outcome.startAt);
        return;
      case 'waiting_for_children':
        this.events.emit('updated', { executionIds: [row.executionId] });
        for (const child of outcome.children) this.dueTimer.schedule(child.startAt);
        return;
      case 'waiting_for_finalize':
        this.events.emit('updated', { executionIds: [row.executionId] });
        this.dueTimer.schedule(outcome.finalize.startAt);
        return;
    }
  }

  /** Writes a batch of results, retrying while the store is unreachable (bounded). */
  private async writeResults(batch: RunResult[]): Promise<(ExecutionRow | null)[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.storage.applyRunResults(batch, Date.now());
      } catch (error) {
        if (attempt >= 8) throw error;
        this.logger.error('Writing run results failed; retrying', error);
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  }
}
