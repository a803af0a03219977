/**
 * Group commit: items added while a flush is in flight are written together by the next one,
 * so a burst of enqueues or completions costs a few storage calls instead of one per item.
 */
export class Batcher<TItem, TResult> {
  private queue: { item: TItem; resolve: (r: TResult) => void; reject: (e: unknown) => void }[] =
    [];
  private flushing = false;

  constructor(
    private readonly write: (items: TItem[]) => Promise<TResult[]>,
    private readonly maxBatchSize: number,
  ) {}

  add(item: TItem): Promise<TResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        // A microtask lets the rest of a synchronous burst join this first batch.
        queueMicrotask(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      try {
        const results = await this.write(batch.map((entry) => entry.item));
        batch.forEach((entry, index) => entry.resolve(results[index] as TResult));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.flushing = false;
  }
}
