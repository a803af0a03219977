/**
 * The in-memory store's index of ready executions, per task: a heap of those not due yet, by
 * startAt, and, once due, a heap by claim order (highest priority, then oldest startAt, then
 * the order they became ready) beside one by startAt (for the next due time). Entries are
 * removed lazily: an entry is live while its row is still ready and it is the row's latest
 * entry, so requeueing, claiming or cancelling costs O(1).
 */
import { MinHeap } from './minHeap';

export interface ReadyEntry {
  startAt: number;
  priority: number;
  seq: number;
  executionId: string;
}

const byStart = (a: ReadyEntry, b: ReadyEntry) =>
  a.startAt === b.startAt ? a.seq < b.seq : a.startAt < b.startAt;

/** Claim order: highest priority first, then oldest startAt, then FIFO. */
export const claimsBefore = (a: ReadyEntry, b: ReadyEntry) =>
  a.priority !== b.priority ? a.priority > b.priority : byStart(a, b);

interface TaskQueue {
  pending: MinHeap<ReadyEntry>;
  due: MinHeap<ReadyEntry>;
  dueByStart: MinHeap<ReadyEntry>;
}

export class ReadyQueue {
  private readonly queues = new Map<string, TaskQueue>();
  /** The seq of each ready row's live entry. */
  private readonly liveSeq = new Map<string, number>();
  private nextSeq = 0;

  constructor(private readonly isReady: (executionId: string) => boolean) {}

  push(row: { executionId: string; taskId: string; startAt: number; priority: number }): void {
    const seq = this.nextSeq++;
    this.liveSeq.set(row.executionId, seq);
    let queue = this.queues.get(row.taskId);
    if (!queue) {
      queue = {
        pending: new MinHeap(byStart),
        due: new MinHeap(claimsBefore),
        dueByStart: new MinHeap(byStart),
      };
      this.queues.set(row.taskId, queue);
    }
    queue.pending.push({
      startAt: row.startAt,
      priority: row.priority,
      seq,
      executionId: row.executionId,
    });
  }

  remove(executionId: string): void {
    this.liveSeq.delete(executionId);
  }

  /** The next entry to claim among `taskIds` at `now`, left in place. */
  peekDue(taskIds: readonly string[], now: number): ReadyEntry | undefined {
    let best: ReadyEntry | undefined;
    for (const taskId of taskIds) {
      const top = this.liveTop(this.queueAt(taskId, now)?.due);
      if (top && (!best || claimsBefore(top, best))) best = top;
    }
    return best;
  }

  /** Every due entry of `taskId` at `now`, in claim order (for limited tasks). */
  dueEntries(taskId: string, now: number): ReadyEntry[] {
    const due = this.queueAt(taskId, now)?.due;
    if (!due) return [];
    return due
      .items()
      .filter((entry) => this.isLive(entry))
      .sort((a, b) => (claimsBefore(a, b) ? -1 : 1));
  }

  /** Takes `entry` out of the queue (it is being claimed). */
  take(entry: ReadyEntry): void {
    this.liveSeq.delete(entry.executionId);
  }

  earliestStartAt(taskIds: readonly string[]): number | null {
    let earliest: number | null = null;
    for (const taskId of taskIds) {
      const queue = this.queues.get(taskId);
      if (!queue) continue;
      for (const heap of [queue.dueByStart, queue.pending]) {
        const top = this.liveTop(heap);
        if (top && (earliest === null || top.startAt < earliest)) earliest = top.startAt;
      }
    }
    return earliest;
  }

  /** The task's queue with every entry due at `now` moved to the due heaps. */
  private queueAt(taskId: string, now: number): TaskQueue | undefined {
    const queue = this.queues.get(taskId);
    if (!queue) return undefined;
    for (let top = queue.pending.peek(); top && top.startAt <= now; top = queue.pending.peek()) {
      queue.pending.pop();
      if (!this.isLive(top)) continue;
      queue.due.push(top);
      queue.dueByStart.push(top);
    }
    return queue;
  }

  /** The heap's top live entry, dropping the stale ones above it. */
  private liveTop(heap: MinHeap<ReadyEntry> | undefined): ReadyEntry | undefined {
    if (!heap) return undefined;
    let top = heap.peek();
    while (top && !this.isLive(top)) {
      heap.pop();
      top = heap.peek();
    }
    return top;
  }

  private isLive(entry: ReadyEntry): boolean {
    return this.isReady(entry.executionId) && this.liveSeq.get(entry.executionId) === entry.seq;
  }
}
