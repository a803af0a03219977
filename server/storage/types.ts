/** The storage this layer hands out: the engine's interface plus lifecycle and retention. */
import type { DurableStorage, DurableStorageQueries } from '@/server/engine/storage';

export interface PruneOptions {
  /** Trees whose root finished before this instant are deleted. */
  olderThan: Date;
  /** Roots deleted per statement (each batch is its own transaction). @default 500 */
  batchSize?: number;
}

export interface PrismaStorage extends DurableStorage, DurableStorageQueries {
  readonly provider: 'sqlite' | 'postgres';
  /**
   * Deletes whole finished trees only: a root finished before `olderThan` and all its
   * descendants, never part of a tree with an active member or a pending follow-up.
   * Returns the number of executions deleted.
   */
  pruneFinishedExecutions(options: PruneOptions): Promise<number>;
  /** Stops notifications and closes every connection. */
  close(): Promise<void>;
}
