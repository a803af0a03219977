/**
 * Retention: the executor prunes finished trees older than `retentionMs` in the background,
 * in bounded batches (each one short statement or transaction, so no lock is held for long
 * and work keeps running between them), and one executor at a time: a lease in the store
 * decides which, and passes on when its holder stops renewing it.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from './logger';
import { DurableOptionsError } from './options';
import type { DurableStorage } from './storage';
import { Wakeup } from './wakeup';

/** The store's part (optional: a store without it keeps everything). */
export interface RetentionStorage {
  /**
   * Takes or renews the lease `name` for `owner` until `now + ttlMs` when it is free, expired
   * or already `owner`'s. True when `owner` holds it.
   */
  acquireMaintenanceLease(request: {
    name: string;
    owner: string;
    now: number;
    ttlMs: number;
  }): Promise<boolean>;
  /**
   * Deletes up to `limit` whole finished trees whose root finished before `olderThan` (never
   * one with an active member or a pending follow-up), and wakeups expired at `now`. Returns
   * the number of executions deleted.
   */
  pruneFinishedTreesBatch(request: {
    olderThan: number;
    limit: number;
    now: number;
  }): Promise<number>;
}

export interface RetentionOptions {
  /** Finished trees older than this are deleted; null keeps everything. */
  retentionMs: number | null;
  /** How often the lease holder prunes (and others check the lease). */
  intervalMs: number;
  /** Roots deleted per batch. */
  batchSize: number;
}

export const RETENTION_LEASE = 'retention';

/** Parses `7d`, `12h`, `30m`, `45s`, `500ms` or `off` (null). */
export function parseRetention(value: string): number | null {
  const text = value.trim().toLowerCase();
  if (text === 'off') return null;
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(text);
  if (!match) {
    throw new DurableOptionsError(
      `Invalid retention "${value}": use a number with ms, s, m, h or d (e.g. 7d), or off`,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  const ms = Number(match[1]) * unit;
  if (ms < 1) throw new DurableOptionsError(`Invalid retention "${value}": must be > 0`);
  return ms;
}

export class RetentionLoop {
  private readonly wakeup = new Wakeup();
  private readonly owner = `executor_${randomBytes(9).toString('base64url')}`;
  private stopping = false;
  private loop: Promise<void> | null = null;
  /** Executions this executor deleted since it started. */
  pruned = 0;

  constructor(
    private readonly storage: DurableStorage & Partial<RetentionStorage>,
    private readonly logger: Logger,
    private readonly options: RetentionOptions,
  ) {}

  start(): void {
    if (this.options.retentionMs === null) return;
    if (!this.storage.acquireMaintenanceLease || !this.storage.pruneFinishedTreesBatch) return;
    this.loop ??= this.run(this.options.retentionMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.wake();
    await this.loop;
  }

  private async run(retentionMs: number): Promise<void> {
    while (!this.stopping) {
      try {
        await this.pass(retentionMs);
      } catch (error) {
        this.logger.error('Retention pass failed', error);
      }
      if (!this.stopping) await this.wakeup.wait(this.options.intervalMs);
    }
  }

  /** One pass by the lease holder: batches until a batch comes back short. */
  private async pass(retentionMs: number): Promise<void> {
    const { intervalMs, batchSize } = this.options;
    // Renewed every pass and every intervalMs within one; a slow batch never lets it lapse.
    const ttlMs = Math.max(intervalMs * 3, 30_000);
    const lease = () =>
      this.storage.acquireMaintenanceLease!({
        name: RETENTION_LEASE,
        owner: this.owner,
        now: Date.now(),
        ttlMs,
      });
    if (!(await lease())) return;
    let renewedAt = Date.now();
    while (!this.stopping) {
      const now = Date.now();
      const deleted = await this.storage.pruneFinishedTreesBatch!({
        olderThan: now - retentionMs,
        limit: batchSize,
        now,
      });
      this.pruned += deleted;
      if (deleted === 0) return;
      // Between batches the event loop runs other work (claims, results, enqueues).
      await new Promise((resolve) => setImmediate(resolve));
      if (Date.now() - renewedAt > intervalMs) {
        if (!(await lease())) return;
        renewedAt = Date.now();
      }
    }
  }
}
