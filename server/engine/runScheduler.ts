/**
 * The claim loop and the runs it starts: claims due executions of registered tasks while
 * there is capacity, runs them, and writes their results in batches. Sleeps until woken by
 * new work, a freed slot, a due timer or the backstop poll.
 */
import { createCancelSignal, type CancelSignal } from './cancelSignal';
import type { Closer } from './closer';
import { context } from '@opentelemetry/api';
import type { ExecutorEvents } from './events';
import type { Logger } from './logger';
import {
  startAttempt,
  statusOfOutcome,
  withChildTraceContext,
  type AttemptTelemetry,
} from './telemetry';
import { runExecution, type RunDependencies } from './runOutcome';
import type {
  DurableStorage,
  ExecutionRow,
  NewExecutionRow,
  RunOutcome,
  TaskFlowLimits,
} from './storage';
import { EarliestTimer, Wakeup } from './wakeup';
import type { WriteQueue } from './writeQueue';

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
  /** Slots promised to enqueues being inserted already claimed (see `reserveDirectStart`). */
  private reserved = 0;
  /** The limit of the claim in flight (0 when none): slots it may fill when it returns. */
  private claimLimitInFlight = 0;
  /**
   * True when due work may be waiting in the store: the last claim filled its limit, or the
   * loop waits for a free slot. A new row must not overtake it, so it goes through a claim.
   */
  private backlogLikely = true;
  private readonly reservationsEnded: (() => void)[] = [];
  private readonly shutdown: [CancelSignal, () => void];
  private stopping = false;
  private waitingForCapacity = false;
  /** Set once stop() returns: results of runs that outlived the shutdown are dropped. */
  private stopped = false;
  private loop: Promise<void> | null = null;
  /** Whether the claim loop saw a free slot at its last turn. */
  private hadFreeSlots: boolean | null = null;
  /** Told when this executor fills up or frees its first slot (the wake-group election). */
  onFreeSlotsChange: (() => void) | null = null;

  constructor(
    private readonly storage: DurableStorage,
    private readonly writes: WriteQueue,
    private readonly deps: RunDependencies,
    private readonly closer: Closer,
    private readonly events: ExecutorEvents,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions,
  ) {
    this.shutdown = createCancelSignal({ logger });
  }

  start(): void {
    this.loop ??= this.claimLoop();
  }

  hasFreeSlots(): boolean {
    return this.running.size + this.reserved < this.options.maxConcurrentTaskExecutions;
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

  /**
   * Reserves a slot to run `row` here as soon as its insert commits, inserted already
   * claimed: no claim, no wake-up, one commit for enqueue and start. Only when the last claim
   * left nothing due behind (so the row overtakes nothing this executor could run), a slot is
   * free beyond what a claim in flight may fill, and no flow limit applies (those are decided
   * by the claim). Each reservation is ended by `endDirectStart`.
   */
  reserveDirectStart(row: NewExecutionRow): boolean {
    const canStart =
      this.loop !== null &&
      !this.stopping &&
      !this.backlogLikely &&
      this.running.size + this.reserved + this.claimLimitInFlight <
        this.options.maxConcurrentTaskExecutions &&
      row.startAt <= Date.now() &&
      !row.waitsForEvent &&
      row.concurrencyKey === null &&
      row.rateKey === null &&
      !this.deps.registry.flowLimits().some((limit) => limit.taskId === row.taskId);
    if (canStart) this.reserved += 1;
    return canStart;
  }

  /** Ends a reservation: runs the row claimed for it, if the insert created one. */
  endDirectStart(claimed: ExecutionRow | null): void {
    this.reserved -= 1;
    // Even during a shutdown: stop() waits for reservations, then for this run (which sees
    // the shutdown signal), rather than leave a claimed row to lease recovery.
    if (claimed !== null) this.startRun(claimed);
    if (this.reserved === 0) for (const resolve of this.reservationsEnded.splice(0)) resolve();
  }

  /** Stops claiming, signals shutdown to running code, waits for runs up to `timeoutMs`. */
  async stop(timeoutMs: number | undefined): Promise<void> {
    this.stopping = true;
    this.dueTimer.clear();
    this.wakeup.wake();
    this.shutdown[1]();
    await this.loop;
    if (this.reserved > 0) await new Promise<void>((r) => this.reservationsEnded.push(r));
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
      const capacity = this.options.maxConcurrentTaskExecutions - this.running.size - this.reserved;
      const limit = Math.min(capacity, this.options.maxTaskExecutionsPerBatch);
      if (this.hadFreeSlots !== limit > 0) {
        this.hadFreeSlots = limit > 0;
        this.onFreeSlotsChange?.();
      }
      const taskIds = this.deps.registry.taskIds();
      if (limit > 0 && taskIds.length > 0) {
        this.claimLimitInFlight = limit;
        try {
          const flowLimits = this.deps.registry.flowLimits();
          const rows = await this.storage.claimReadyExecutions({
            taskIds,
            limit,
            now: Date.now(),
            expireMs: this.options.expireMs,
            ...(flowLimits.length > 0 ? { flowLimits } : {}),
          });
          this.claimLimitInFlight = 0;
          failures = 0;
          this.backlogLikely = rows.length === limit;
          for (const row of rows) this.startRun(row);
          if (rows.length > 0) {
            this.events.emit('updated', { executionIds: rows.map((r) => r.executionId) });
          }
          if (rows.length === limit) continue;
          await this.scheduleRateLimited(flowLimits);
        } catch (error) {
          this.claimLimitInFlight = 0;
          this.backlogLikely = true;
          failures += 1;
          this.logger.error('Claiming executions failed; backing off', error);
          await this.wakeup.wait(Math.min(30_000, this.options.backstopPollMs * 2 ** failures));
          continue;
        }
      }
      // A finished run frees a slot; it need only wake a loop that waits for one. Other new
      // work (enqueues, children, retries, notifications) has wake-ups of its own.
      this.waitingForCapacity = limit <= 0;
      if (this.waitingForCapacity) this.backlogLikely = true;
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
    const attempt = startAttempt(row);
    // Task code runs in the attempt's span: spans it starts are children of it.
    entry.done = context
      .with(attempt.context, () =>
        runExecution(this.deps, row, { cancel: abort.signal, shutdownSignal: this.shutdown[0] }),
      )
      .then((outcome) => this.finishRun(row, outcome, abort.signal, attempt))
      .catch((error: unknown) => {
        attempt.end('lease_lost', error instanceof Error ? error.message : String(error));
        this.logger.error(`Run of ${row.executionId} failed`, error);
      })
      .finally(() => {
        this.running.delete(row.executionId);
        // A freed slot of this executor, or of the task's concurrency limit, may let more run.
        if (this.waitingForCapacity || row.concurrencyKey !== null) this.wakeup.wake();
      });
  }

  private async finishRun(
    row: ExecutionRow,
    ranOutcome: RunOutcome,
    abort: AbortSignal,
    attempt: AttemptTelemetry,
  ) {
    // Aborted runs were cancelled or lost their lease: their result is dropped by the store
    // anyway, so do not spend a write on it.
    if (abort.aborted || this.stopped) {
      attempt.end('aborted');
      return;
    }
    const outcome = withChildTraceContext(ranOutcome, attempt.traceContext);
    const updated = await this.writes.result({
      executionId: row.executionId,
      leaseToken: row.leaseToken,
      outcome,
    });
    if (!updated) {
      attempt.end('lease_lost');
      this.logger.debug(`Result of ${row.executionId} dropped: lease lost or cancelled`);
      return;
    }
    attempt.end(statusOfOutcome(outcome), 'error' in outcome ? outcome.error.message : undefined);
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
        for (const child of outcome.children) {
          if (!child.waitsForEvent) this.dueTimer.schedule(child.startAt);
        }
        if (outcome.children.some((child) => child.waitsForEvent)) {
          await this.deps.registerSleeping(outcome.children);
        }
        return;
      case 'waiting_for_finalize':
        this.events.emit('updated', { executionIds: [row.executionId] });
        this.dueTimer.schedule(outcome.finalize.startAt);
        return;
    }
  }
}
