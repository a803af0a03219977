/**
 * Coalesces `ctx.progress` reports: at most one write per execution every `intervalMs` (the
 * last value wins), and the pending one written before the run's result, so a tight loop costs
 * a few writes a second and the stored progress is the last one reported.
 */
import { DurableOptionsError } from './options';
import type { ExecutorEvents } from './events';
import type { Logger } from './logger';
import type { DurableStorage, ExecutionRow } from './storage';
import type { TaskProgress } from './types';

export const PROGRESS_INTERVAL_MS = 250;
const MAX_MESSAGE_LENGTH = 1_000;

interface Slot {
  leaseToken: number;
  pending: string | null;
  lastWriteAt: number;
  timer: ReturnType<typeof setTimeout> | null;
  writing: Promise<void> | null;
}

export class ProgressReporter {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly storage: Pick<DurableStorage, 'updateProgress'>,
    private readonly events: ExecutorEvents,
    private readonly logger: Logger,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** The `ctx.progress` of a run of `row`. */
  reporter(row: ExecutionRow): (progress: TaskProgress) => void {
    return (progress) => this.report(row, progress);
  }

  report(row: ExecutionRow, progress: TaskProgress): void {
    const text = JSON.stringify(checkProgress(progress, row.taskId));
    let slot = this.slots.get(row.executionId);
    if (!slot) {
      slot = {
        leaseToken: row.leaseToken,
        pending: null,
        lastWriteAt: 0,
        timer: null,
        writing: null,
      };
      this.slots.set(row.executionId, slot);
    }
    slot.pending = text;
    if (slot.timer || slot.writing) return;
    const wait = slot.lastWriteAt + this.intervalMs - Date.now();
    if (wait <= 0) void this.writeNow(row.executionId, slot);
    else slot.timer = setTimeout(() => void this.writeNow(row.executionId, slot), wait);
  }

  /** Writes what is pending for `executionId` and forgets it (the run ends). */
  async flush(executionId: string): Promise<void> {
    const slot = this.slots.get(executionId);
    if (!slot) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    await slot.writing;
    if (slot.pending !== null) await this.writeNow(executionId, slot);
    this.slots.delete(executionId);
  }

  private writeNow(executionId: string, slot: Slot): Promise<void> {
    slot.timer = null;
    const progress = slot.pending;
    if (progress === null) return Promise.resolve();
    slot.pending = null;
    slot.lastWriteAt = Date.now();
    slot.writing = this.storage
      .updateProgress([{ executionId, leaseToken: slot.leaseToken, progress }], slot.lastWriteAt)
      .then(
        (updated) => {
          if (updated.length > 0) this.events.emit('updated', { executionIds: updated });
        },
        (error: unknown) => this.logger.error(`Progress of ${executionId} not stored`, error),
      )
      .finally(() => {
        slot.writing = null;
        // A report that came in meanwhile waits for its turn.
        if (slot.pending !== null && !slot.timer && this.slots.get(executionId) === slot) {
          const wait = Math.max(0, slot.lastWriteAt + this.intervalMs - Date.now());
          slot.timer = setTimeout(() => void this.writeNow(executionId, slot), wait);
        }
      });
    return slot.writing;
  }
}

function checkProgress(progress: TaskProgress, taskId: string): TaskProgress {
  const invalid = (why: string) =>
    new DurableOptionsError(`Invalid progress of task ${taskId}: ${why}`);
  if (typeof progress !== 'object' || progress === null) throw invalid('must be an object');
  const { current, total, message } = progress;
  if (typeof current !== 'number' || !Number.isFinite(current))
    throw invalid('current must be a number');
  if (total !== undefined && (typeof total !== 'number' || !Number.isFinite(total))) {
    throw invalid('total must be a number');
  }
  if (message !== undefined && typeof message !== 'string')
    throw invalid('message must be a string');
  return {
    current,
    ...(total === undefined ? {} : { total }),
    ...(message === undefined ? {} : { message: message.slice(0, MAX_MESSAGE_LENGTH) }),
  };
}
