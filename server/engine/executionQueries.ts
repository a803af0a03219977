/**
 * Reads for APIs and dashboards: lists, trees and counts, as user-facing executions. A stored
 * value that cannot be deserialized is an `UnreadableValue` here, so one bad row does not fail
 * a page, and an execution that failed on its own input can still be viewed.
 */
import { DurableExecutionError, DurableExecutionNotFoundError } from './errors';
import { toTaskExecution } from './executionView';
import type { SafeSerializer } from './serializer';
import type {
  DurableStorage,
  DurableStorageQueries,
  ExecutionListQuery,
  ExecutionRow,
  ExecutionStats,
} from './storage';
import type { TaskExecution } from './types';

export interface ExecutionPage {
  items: TaskExecution<unknown>[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: { createdAt: number; executionId: string } | null;
}

export class ExecutionQueries {
  constructor(
    private readonly storage: DurableStorage & Partial<DurableStorageQueries>,
    private readonly serializer: SafeSerializer,
  ) {}

  async get(executionId: string): Promise<TaskExecution<unknown> | null> {
    const row = await this.storage.getExecution(executionId);
    if (!row) return null;
    const children = row.childrenCount > 0 ? await this.storage.getChildren(executionId) : null;
    return this.view(row, children);
  }

  async list(query: ExecutionListQuery): Promise<ExecutionPage> {
    const rows = await this.queries().listExecutions({ ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => this.view(row, null)),
      nextCursor:
        rows.length > query.limit && last
          ? { createdAt: last.createdAt, executionId: last.executionId }
          : null,
    };
  }

  /** Every execution of the tree `executionId` belongs to, root first, then by creation. */
  async tree(executionId: string): Promise<TaskExecution<unknown>[]> {
    const row = await this.storage.getExecution(executionId);
    if (!row) throw new DurableExecutionNotFoundError(`Execution ${executionId} not found`);
    const rows = await this.queries().getExecutionTree(row.rootExecutionId ?? row.executionId);
    const childrenByParent = new Map<string, ExecutionRow[]>();
    for (const member of rows) {
      if (!member.parentExecutionId || member.isFinalizeTask) continue;
      const siblings = childrenByParent.get(member.parentExecutionId) ?? [];
      siblings.push(member);
      childrenByParent.set(member.parentExecutionId, siblings);
    }
    return rows.map((member) =>
      this.view(
        member,
        (childrenByParent.get(member.executionId) ?? []).sort(
          (a, b) => a.indexInParent - b.indexInParent,
        ),
      ),
    );
  }

  stats(): Promise<ExecutionStats> {
    return this.queries().getExecutionStats();
  }

  /** One row as these queries show it (unreadable values marked). */
  view(row: ExecutionRow, children: ExecutionRow[] | null): TaskExecution<unknown> {
    return toTaskExecution(this.serializer, row, children, { unreadableValues: 'mark' });
  }

  private queries(): DurableStorageQueries {
    const { listExecutions, getExecutionTree, getExecutionStats } = this.storage;
    if (!listExecutions || !getExecutionTree || !getExecutionStats) {
      throw new DurableExecutionError('This storage does not support execution queries', false);
    }
    return this.storage as DurableStorageQueries;
  }
}
