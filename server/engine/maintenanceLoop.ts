/**
 * The backstop loop: what no wake-up reaches. Each tick recovers expired leases, redoes
 * follow-ups a crash interrupted, advances parents left waiting, aborts local runs whose
 * execution was cancelled or taken over elsewhere, and sets a timer for the next due work.
 * One failing step is logged and never blocks the others.
 */
import type { Closer } from './closer';
import type { ExecutorEvents } from './events';
import type { Logger } from './logger';
import type { RunScheduler } from './runScheduler';
import type { SleepingTasks } from './sleepingTasks';
import { EXECUTOR_LOST_ERROR, type DurableStorage } from './storage';
import type { TaskRegistry } from './taskRegistry';
import { EarliestTimer, Wakeup } from './wakeup';

export interface MaintenanceOptions {
  backstopPollMs: number;
  maxRecoveryAttempts: number;
  batchSize: number;
}

export class MaintenanceLoop {
  private readonly wakeup = new Wakeup();
  /** The next sleeping execution's deadline: time it out then, not at the next poll. */
  private readonly deadlineTimer = new EarliestTimer(() => this.wakeup.wake());
  private stopping = false;
  private loop: Promise<void> | null = null;
  /** Runs first in every tick (the wake-group election retries there). */
  onTick: (() => void) | null = null;

  constructor(
    private readonly storage: DurableStorage,
    private readonly registry: TaskRegistry,
    private readonly scheduler: RunScheduler,
    private readonly closer: Closer,
    private readonly sleeping: SleepingTasks,
    private readonly events: ExecutorEvents,
    private readonly logger: Logger,
    private readonly options: MaintenanceOptions,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.wake();
    await this.loop;
    this.deadlineTimer.dispose();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      await this.tick();
      if (!this.stopping) await this.wakeup.wait(this.options.backstopPollMs);
    }
  }

  /**
   * One pass. Each step, and each execution within a step, is isolated from the others'
   * failures: one poison execution never blocks the rest.
   */
  private async tick(): Promise<void> {
    this.onTick?.();
    await this.step('recovering expired leases', () => this.recoverLeases());
    await this.step('closing finished executions', () => this.closePending());
    await this.step('advancing parents', () => this.advancePending());
    await this.step('checking running executions', () => this.abortLostRuns());
    await this.step('scheduling due work', () => this.scheduleNextDue());
    await this.step('sleeping executions', () => this.maintainSleeping());
  }

  private async step(name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.logger.error(`Backstop step failed: ${name}`, error);
    }
  }

  private async recoverLeases(): Promise<void> {
    const result = await this.storage.recoverExpiredLeases({
      now: Date.now(),
      maxRecoveryAttempts: this.options.maxRecoveryAttempts,
      error: EXECUTOR_LOST_ERROR,
      limit: this.options.batchSize,
    });
    if (result.requeuedExecutionIds.length > 0) {
      this.logger.info(`Recovered ${result.requeuedExecutionIds.length} expired executions`);
      this.scheduler.abort(result.requeuedExecutionIds);
      this.events.emit('updated', { executionIds: result.requeuedExecutionIds });
      this.scheduler.wakeup.wake();
    }
    if (result.failedExecutionIds.length > 0) {
      this.scheduler.abort(result.failedExecutionIds);
      this.events.emit('finished', { executionIds: result.failedExecutionIds });
      for (const id of result.failedExecutionIds) {
        await this.step(`closing ${id}`, () => this.closer.close(id));
      }
    }
  }

  private async closePending(): Promise<void> {
    const ids = await this.storage.listExecutionsToClose(this.options.batchSize);
    for (const id of ids) await this.step(`closing ${id}`, () => this.closer.close(id));
  }

  private async advancePending(): Promise<void> {
    const ids = await this.storage.listParentsReadyToAdvance(this.options.batchSize);
    for (const id of ids) await this.step(`advancing ${id}`, () => this.closer.advance(id));
  }

  private async abortLostRuns(): Promise<void> {
    const running = this.scheduler.runningLeases();
    if (running.length === 0) return;
    const lost = await this.storage.findLostRunningExecutions(running);
    if (lost.length > 0) this.scheduler.abort(lost);
  }

  /** A sleeping execution's deadline: the loop runs then to time it out. */
  scheduleDeadline(at: number): void {
    if (!this.stopping) this.deadlineTimer.schedule(at);
  }

  private async maintainSleeping(): Promise<void> {
    const nextDeadlineAt = await this.sleeping.maintain(this.options.batchSize);
    if (nextDeadlineAt !== null) this.deadlineTimer.schedule(nextDeadlineAt);
  }

  private async scheduleNextDue(): Promise<void> {
    const taskIds = this.registry.taskIds();
    if (taskIds.length === 0) return;
    const nextDueAt = await this.storage.getNextDueAt(taskIds);
    if (nextDueAt !== null) this.scheduler.dueTimer.schedule(nextDueAt);
  }
}
