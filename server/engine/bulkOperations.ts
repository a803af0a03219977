/**
 * Bulk actions: cancel or rerun every execution matching a filter (or a list of ids) as a
 * background operation with progress. Matching rows are read in bounded pages with keyset
 * paging (newest first, after the last row seen), so a filter over a million rows holds one
 * page in memory; rows created while it runs are newer than the cursor and never revisited.
 * The registry lives in this process (operations are lost with it, their effects are not).
 */
import { randomBytes } from 'node:crypto';
import type { ExecutionFilter, ExecutionListQuery, ExecutionRow } from './storage';

export type BulkActionKind = 'cancel' | 'rerun';
export type BulkOperationState = 'running' | 'completed' | 'failed';

/** What a bulk action covers: every execution matching a filter, or these ids. */
export type BulkTarget = { filter: ExecutionFilter } | { executionIds: readonly string[] };

export interface BulkOperation {
  operationId: string;
  kind: BulkActionKind;
  state: BulkOperationState;
  /** Matching executions counted at the start (grows if more are found while it runs). */
  total: number;
  /** Executions acted on. */
  done: number;
  /** Executions the action failed for (see `lastError`). */
  failed: number;
  lastError: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface BulkDependencies {
  listExecutions(query: ExecutionListQuery): Promise<ExecutionRow[]>;
  countExecutions(filter: ExecutionFilter): Promise<number>;
  /** Acts on one execution; a throw counts it as failed and the operation goes on. */
  act(kind: BulkActionKind, executionId: string): Promise<void>;
}

export interface BulkOptions {
  /** Rows read per page. @default 200 */
  pageSize?: number;
  /** Actions in flight at once. @default 8 */
  concurrency?: number;
  /** Finished operations remembered. @default 100 */
  keepFinished?: number;
}

export class BulkOperations {
  private readonly operations = new Map<string, BulkOperation>();
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly keepFinished: number;

  constructor(
    private readonly deps: BulkDependencies,
    { pageSize = 200, concurrency = 8, keepFinished = 100 }: BulkOptions = {},
  ) {
    this.pageSize = pageSize;
    this.concurrency = concurrency;
    this.keepFinished = keepFinished;
  }

  /** Counts the target, registers the operation and starts it in the background. */
  async start(kind: BulkActionKind, target: BulkTarget): Promise<BulkOperation> {
    const total =
      'executionIds' in target
        ? new Set(target.executionIds).size
        : await this.deps.countExecutions(target.filter);
    const operation: BulkOperation = {
      operationId: `bulk_${randomBytes(12).toString('base64url')}`,
      kind,
      state: 'running',
      total,
      done: 0,
      failed: 0,
      lastError: null,
      startedAt: Date.now(),
      finishedAt: null,
    };
    this.operations.set(operation.operationId, operation);
    void this.run(operation, target);
    return { ...operation };
  }

  get(operationId: string): BulkOperation | null {
    const operation = this.operations.get(operationId);
    return operation ? { ...operation } : null;
  }

  /** Operations still running, then the latest finished ones. */
  list(): BulkOperation[] {
    return [...this.operations.values()].reverse().map((operation) => ({ ...operation }));
  }

  private async run(operation: BulkOperation, target: BulkTarget): Promise<void> {
    try {
      for await (const ids of this.pages(target)) await this.actOn(operation, ids);
      operation.state = 'completed';
    } catch (error) {
      operation.state = 'failed';
      operation.lastError = error instanceof Error ? error.message : String(error);
    } finally {
      operation.finishedAt = Date.now();
      this.forgetOld();
    }
  }

  private async *pages(target: BulkTarget): AsyncGenerator<string[]> {
    if ('executionIds' in target) {
      const ids = [...new Set(target.executionIds)];
      for (let i = 0; i < ids.length; i += this.pageSize) yield ids.slice(i, i + this.pageSize);
      return;
    }
    let cursor: ExecutionListQuery['cursor'];
    for (;;) {
      const rows = await this.deps.listExecutions({
        ...target.filter,
        ...(cursor ? { cursor } : {}),
        limit: this.pageSize,
      });
      if (rows.length === 0) return;
      yield rows.map((row) => row.executionId);
      const last = rows[rows.length - 1]!;
      cursor = { createdAt: last.createdAt, executionId: last.executionId };
      if (rows.length < this.pageSize) return;
    }
  }

  private async actOn(operation: BulkOperation, ids: string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          await this.deps.act(operation.kind, id);
          operation.done += 1;
        } catch (error) {
          operation.failed += 1;
          operation.lastError = `${id}: ${error instanceof Error ? error.message : String(error)}`;
        }
        operation.total = Math.max(operation.total, operation.done + operation.failed);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, ids.length) }, worker));
  }

  private forgetOld(): void {
    const finished = [...this.operations.values()].filter((op) => op.state !== 'running');
    for (const operation of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) {
      this.operations.delete(operation.operationId);
    }
  }
}
