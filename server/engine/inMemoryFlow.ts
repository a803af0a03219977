/**
 * The in-memory store's flow control: idempotency keys, and the claim of tasks with
 * concurrency or rate limits (the rows of one claim, in claim order, within every key's free
 * slots and budget; a rate key out of budget has its due rows pushed to when it frees up).
 * The same rules as the SQL stores' (server/storage/sql/claims.ts), on live rows.
 */
import type { InMemoryRows } from './inMemoryRows';
import { claimsBefore, type ReadyEntry } from './readyQueue';
import type {
  FlowUsage,
  FlowUsageQuery,
  InsertedExecution,
  NewExecutionRow,
  TaskFlowLimits,
} from './storage';

export class InMemoryFlow {
  private readonly keys = new Map<string, { executionId: string; expiresAt: number }>();
  /** Start times per task and rate key, oldest first, within the longest period. */
  private readonly starts = new Map<string, number[]>();

  constructor(private readonly rows: InMemoryRows) {}

  /**
   * Takes each row's idempotency key when free or expired; returns its holder for each row
   * (its own id when it took the key, the holder's when not; rows without a key: their own).
   */
  takeKeys(rows: readonly NewExecutionRow[], now: number): InsertedExecution[] {
    return rows.map((row) => {
      if (row.idempotencyKey === null) return { executionId: row.executionId, created: true };
      const id = keyId(row.taskId, row.idempotencyKey);
      const held = this.keys.get(id);
      if (held && held.expiresAt > now) return { executionId: held.executionId, created: false };
      this.keys.set(id, {
        executionId: row.executionId,
        expiresAt: row.idempotencyExpiresAt ?? now,
      });
      return { executionId: row.executionId, created: true };
    });
  }

  /** The due entries of limited tasks that fit their keys' free slots and budgets, in order. */
  eligible(limits: readonly TaskFlowLimits[], now: number, max: number): ReadyEntry[] {
    const picked: ReadyEntry[] = [];
    for (const limit of limits) {
      const runningPerKey = new Map<string, number>();
      for (const row of this.rows.running(limit.taskId)) {
        if (row.expiresAt !== null && row.expiresAt < now) continue; // a lost lease frees its slot
        const key = row.concurrencyKey ?? '';
        runningPerKey.set(key, (runningPerKey.get(key) ?? 0) + 1);
      }
      const startedPerKey = new Map<string, number>();
      for (const entry of this.rows.dueEntries(limit.taskId, now)) {
        const row = this.rows.mustGet(entry.executionId);
        const concurrencyKey = row.concurrencyKey ?? '';
        const rateKey = row.rateKey ?? '';
        const running = runningPerKey.get(concurrencyKey) ?? 0;
        const started = startedPerKey.get(rateKey) ?? this.startsWithin(limit, rateKey, now).length;
        if (limit.concurrencyLimit !== null && running >= limit.concurrencyLimit) continue;
        if (limit.rateLimit && started >= limit.rateLimit.limit) continue;
        runningPerKey.set(concurrencyKey, running + 1);
        startedPerKey.set(rateKey, started + 1);
        picked.push(entry);
        if (picked.length >= max * limits.length) break;
      }
    }
    return picked.sort((a, b) => (claimsBefore(a, b) ? -1 : 1)).slice(0, max);
  }

  /** Records the starts of claimed rows of rate-limited tasks. */
  recordStarts(
    limits: readonly TaskFlowLimits[],
    claimedIds: readonly string[],
    now: number,
  ): void {
    const rated = new Set(limits.filter((l) => l.rateLimit).map((l) => l.taskId));
    for (const id of claimedIds) {
      const row = this.rows.mustGet(id);
      if (!rated.has(row.taskId)) continue;
      const key = keyId(row.taskId, row.rateKey ?? '');
      const list = this.starts.get(key) ?? [];
      list.push(now);
      this.starts.set(key, list);
    }
  }

  /**
   * Pushes the due ready rows of every rate key out of budget to the moment its oldest start
   * in the window leaves it. Returns the pushed rows' ids (to requeue).
   */
  pushOverBudget(limits: readonly TaskFlowLimits[], now: number): string[] {
    const pushed: string[] = [];
    for (const limit of limits) {
      if (!limit.rateLimit) continue;
      for (const entry of this.rows.dueEntries(limit.taskId, now)) {
        const row = this.rows.mustGet(entry.executionId);
        const window = this.startsWithin(limit, row.rateKey ?? '', now);
        if (window.length < limit.rateLimit.limit) continue;
        row.startAt = window[0]! + limit.rateLimit.periodMs;
        row.updatedAt = now;
        pushed.push(row.executionId);
      }
    }
    return pushed;
  }

  /** Running executions per concurrency key, starts within the period per rate key. */
  usage({ limits, now, keys }: FlowUsageQuery): FlowUsage[] {
    const usage: FlowUsage[] = [];
    const wanted = (key: string) => !keys || keys.includes(key);
    for (const limit of limits) {
      if (limit.concurrencyLimit !== null) {
        const counts = new Map<string, number>();
        for (const row of this.rows.running(limit.taskId)) {
          if (row.expiresAt !== null && row.expiresAt < now) continue;
          const key = row.concurrencyKey ?? '';
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        for (const [key, count] of counts) {
          if (wanted(key)) usage.push({ taskId: limit.taskId, kind: 'concurrency', key, count });
        }
      }
      if (limit.rateLimit) {
        const prefix = keyId(limit.taskId, '');
        for (const id of this.starts.keys()) {
          if (!id.startsWith(prefix)) continue;
          const key = id.slice(prefix.length);
          const count = this.startsWithin(limit, key, now).length;
          if (count > 0 && wanted(key))
            usage.push({ taskId: limit.taskId, kind: 'rate', key, count });
        }
      }
    }
    return usage.sort((a, b) => b.count - a.count);
  }

  /** Start times of the key within its period before `now` (older ones are dropped). */
  private startsWithin(limit: TaskFlowLimits, rateKey: string, now: number): number[] {
    const key = keyId(limit.taskId, rateKey);
    const periodMs = limit.rateLimit?.periodMs ?? 0;
    const list = (this.starts.get(key) ?? []).filter((at) => at > now - periodMs);
    this.starts.set(key, list);
    return list;
  }
}

function keyId(taskId: string, key: string): string {
  return `${taskId}\u0000${key}`;
}
