/**
 * The in-memory store's index of ready executions: one min-heap per task, ordered by startAt
 * then insertion. Entries are removed lazily: an entry is live while its row is still ready
 * and it is the row's latest entry, so requeueing or cancelling costs O(1).
 */
import { MinHeap } from './minHeap';

interface ReadyEntry {
  startAt: number;
  seq: number;
  executionId: string;
}

const earlier = (a: ReadyEntry, b: ReadyEntry) =>
  a.startAt === b.startAt ? a.seq < b.seq : a.startAt < b.startAt;

export class ReadyQueue {
  private readonly heaps = new Map<string, MinHeap<ReadyEntry>>();
  /** The seq of each ready row's live entry. */
  private readonly liveSeq = new Map<string, number>();
  private nextSeq = 0;

  constructor(private readonly isReady: (executionId: string) => boolean) {}

  push(row: { executionId: string; taskId: string; startAt: number }): void {
    const seq = this.nextSeq++;
    this.liveSeq.set(row.executionId, seq);
    let heap = this.heaps.get(row.taskId);
    if (!heap) {
      heap = new MinHeap<ReadyEntry>(earlier);
      this.heaps.set(row.taskId, heap);
    }
    heap.push({ startAt: row.startAt, seq, executionId: row.executionId });
  }

  remove(executionId: string): void {
    this.liveSeq.delete(executionId);
  }

  /** Removes and returns the oldest entry due at `now` across `taskIds`. */
  popDue(taskIds: readonly string[], now: number): string | undefined {
    const best = this.peekEarliest(taskIds);
    if (!best || best.entry.startAt > now) return undefined;
    best.heap.pop();
    this.liveSeq.delete(best.entry.executionId);
    return best.entry.executionId;
  }

  earliestStartAt(taskIds: readonly string[]): number | null {
    return this.peekEarliest(taskIds)?.entry.startAt ?? null;
  }

  private peekEarliest(
    taskIds: readonly string[],
  ): { entry: ReadyEntry; heap: MinHeap<ReadyEntry> } | undefined {
    let best: { entry: ReadyEntry; heap: MinHeap<ReadyEntry> } | undefined;
    for (const taskId of taskIds) {
      const heap = this.heaps.get(taskId);
      if (!heap) continue;
      let top = heap.peek();
      while (top && !this.isLive(top)) {
        heap.pop();
        top = heap.peek();
      }
      if (top && (!best || earlier(top, best.entry))) best = { entry: top, heap };
    }
    return best;
  }

  private isLive(entry: ReadyEntry): boolean {
    return this.isReady(entry.executionId) && this.liveSeq.get(entry.executionId) === entry.seq;
  }
}
