/** Dashboard reads over the in-memory store: newest-first lists, trees by root, counts. */
import type { ExecutionListQuery, ExecutionRow, ExecutionStats } from './storage';

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
    const statuses = query.statuses ? new Set<string>(query.statuses) : null;
    const cursor = query.cursor;
    const page: ExecutionRow[] = [];
    for (let i = this.insertionOrder.length - 1; i >= 0 && page.length < query.limit; i--) {
      const row = this.rows.get(this.insertionOrder[i]!);
      if (!row) continue;
      if (cursor && compareNewestFirst(row, cursor) <= 0) continue;
      if (statuses && !statuses.has(row.status)) continue;
      if (query.taskId && row.taskId !== query.taskId) continue;
      if (query.rootOnly && row.parentExecutionId !== null) continue;
      if (query.executionIdPrefix && !row.executionId.startsWith(query.executionIdPrefix)) continue;
      page.push(row);
    }
    return page.sort(compareNewestFirst);
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

/** Negative when `a` comes first in newest-first order (createdAt desc, then id desc). */
function compareNewestFirst(
  a: { createdAt: number; executionId: string },
  b: { createdAt: number; executionId: string },
): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.executionId < b.executionId ? 1 : a.executionId > b.executionId ? -1 : 0;
}
