/** Dashboard reads over the in-memory store: newest-first lists, trees by root, counts. */
import { durationBin } from './metrics';
import type {
  ExecutionFilter,
  ExecutionListQuery,
  ExecutionRow,
  ExecutionStats,
  MetricsCounts,
  MetricsQuery,
} from './storage';
import { isFinishedStatus } from './types';
import { storedValueMatches } from './valuePath';

export class InMemoryQueries {
  private insertionOrder: string[] = [];
  private removedSinceCompaction = 0;
  private readonly treeByRoot = new Map<string, string[]>();

  constructor(private readonly rows: ReadonlyMap<string, ExecutionRow>) {}

  added(row: ExecutionRow): void {
    this.insertionOrder.push(row.executionId);
    if (row.rootExecutionId) {
      const tree = this.treeByRoot.get(row.rootExecutionId) ?? [];
      tree.push(row.executionId);
      this.treeByRoot.set(row.rootExecutionId, tree);
    }
  }

  /** A tree was deleted (retention): forget its index entries. */
  removedTree(rootExecutionId: string, memberCount: number): void {
    this.treeByRoot.delete(rootExecutionId);
    this.removedSinceCompaction += memberCount;
    if (this.removedSinceCompaction * 2 > this.insertionOrder.length) {
      this.insertionOrder = this.insertionOrder.filter((id) => this.rows.has(id));
      this.removedSinceCompaction = 0;
    }
  }

  list(query: ExecutionListQuery): ExecutionRow[] {
    const matches = matcher(query);
    const cursor = query.cursor;
    const page: ExecutionRow[] = [];
    for (let i = this.insertionOrder.length - 1; i >= 0 && page.length < query.limit; i--) {
      const row = this.rows.get(this.insertionOrder[i]!);
      if (!row) continue;
      if (cursor && compareNewestFirst(row, cursor) <= 0) continue;
      if (matches(row)) page.push(row);
    }
    return page.sort(compareNewestFirst);
  }

  count(filter: ExecutionFilter): number {
    const matches = matcher(filter);
    let count = 0;
    for (const row of this.rows.values()) if (matches(row)) count += 1;
    return count;
  }

  tree(rootExecutionId: string): ExecutionRow[] {
    const root = this.rows.get(rootExecutionId);
    if (!root) return [];
    const members = (this.treeByRoot.get(rootExecutionId) ?? []).flatMap((id) => {
      const row = this.rows.get(id);
      return row ? [row] : [];
    });
    return [root, ...members];
  }

  /** The metrics page's counts, grouped as the SQL stores group them (../storage/sql/metrics.ts). */
  metricsCounts({ since, bucketMs, taskId }: MetricsQuery): MetricsCounts {
    const finished = new Map<string, MetricsCounts['finished'][number]>();
    const queueWaits = new Map<string, MetricsCounts['queueWaits'][number]>();
    const enqueued = new Map<number, MetricsCounts['enqueued'][number]>();
    const binOf = (a: number | null, b: number | null) =>
      a === null || b === null ? null : durationBin(a - b);
    for (const row of this.rows.values()) {
      if (taskId !== undefined && row.taskId !== taskId) continue;
      if (row.createdAt >= since) {
        const bucket = Math.floor((row.createdAt - since) / bucketMs);
        const entry = enqueued.get(bucket) ?? { bucket, count: 0 };
        entry.count += 1;
        enqueued.set(bucket, entry);
      }
      if (row.finishedAt === null || row.finishedAt < since || !isFinishedStatus(row.status)) {
        continue;
      }
      const bucket = Math.floor((row.finishedAt - since) / bucketMs);
      const runBin = binOf(row.finishedAt, row.startedAt);
      const finishedKey = `${bucket}\u0000${row.status}\u0000${runBin}`;
      const done = finished.get(finishedKey) ?? {
        bucket,
        status: row.status,
        bin: runBin,
        count: 0,
      };
      done.count += 1;
      finished.set(finishedKey, done);
      const waitBin = binOf(row.startedAt, row.startAt);
      const waitKey = `${bucket}\u0000${waitBin}`;
      const wait = queueWaits.get(waitKey) ?? { bucket, bin: waitBin, count: 0 };
      wait.count += 1;
      queueWaits.set(waitKey, wait);
    }
    return {
      finished: [...finished.values()],
      queueWaits: [...queueWaits.values()],
      enqueued: [...enqueued.values()],
    };
  }

  stats(): ExecutionStats {
    const byStatus: ExecutionStats['byStatus'] = {};
    const byTask = new Map<string, ExecutionStats['byTask'][number]>();
    for (const row of this.rows.values()) {
      byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
      const key = `${row.taskId}\u0000${row.status}`;
      const entry = byTask.get(key) ?? { taskId: row.taskId, status: row.status, count: 0 };
      entry.count += 1;
      byTask.set(key, entry);
    }
    return { byStatus, byTask: [...byTask.values()] };
  }
}

function matcher(filter: ExecutionFilter): (row: ExecutionRow) => boolean {
  const statuses = filter.statuses ? new Set<string>(filter.statuses) : null;
  return (row) =>
    (!statuses || statuses.has(row.status)) &&
    (!filter.taskId || row.taskId === filter.taskId) &&
    (!filter.rootOnly || row.parentExecutionId === null) &&
    (!filter.executionIdPrefix || row.executionId.startsWith(filter.executionIdPrefix)) &&
    (filter.createdFrom === undefined || row.createdAt >= filter.createdFrom) &&
    (filter.createdTo === undefined || row.createdAt < filter.createdTo) &&
    (!filter.valueMatch ||
      storedValueMatches(
        filter.valueMatch.field === 'input' ? row.runInput : row.output,
        filter.valueMatch,
      ));
}

/** Negative when `a` comes first in newest-first order (createdAt desc, then id desc). */
function compareNewestFirst(
  a: { createdAt: number; executionId: string },
  b: { createdAt: number; executionId: string },
): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.executionId < b.executionId ? 1 : a.executionId > b.executionId ? -1 : 0;
}
