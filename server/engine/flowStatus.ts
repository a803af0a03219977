/**
 * What flow control is doing, for dashboards: each limited task's limits and use per key, and
 * why a ready execution is not running yet ("waiting for a concurrency slot of tenant-42: 2 of
 * 2 running").
 */
import type { DurableStorageQueries, FlowUsage, TaskFlowLimits } from './storage';
import type { TaskRegistry } from './taskRegistry';
import type { TaskExecution } from './types';

export interface KeyUsage {
  /** '' for a limit over the whole task. */
  key: string;
  count: number;
}

export interface TaskFlowStatus {
  taskId: string;
  concurrency: { limit: number; perKey: boolean; running: KeyUsage[] } | null;
  rateLimit: { limit: number; periodMs: number; perKey: boolean; started: KeyUsage[] } | null;
}

/** Keys listed per task at most (the busiest first). */
const MAX_KEYS = 20;

export async function flowStatus(
  queries: Pick<DurableStorageQueries, 'getFlowUsage'>,
  registry: TaskRegistry,
  now: number,
): Promise<TaskFlowStatus[]> {
  const limits = registry.flowLimits();
  const usage = await queries.getFlowUsage({ limits, now });
  return limits.map((limit) => {
    const flow = registry.get(limit.taskId).flow;
    const of = (kind: FlowUsage['kind']) =>
      usage
        .filter((u) => u.taskId === limit.taskId && u.kind === kind)
        .slice(0, MAX_KEYS)
        .map(({ key, count }) => ({ key, count }));
    return {
      taskId: limit.taskId,
      concurrency:
        limit.concurrencyLimit === null
          ? null
          : {
              limit: limit.concurrencyLimit,
              perKey: flow.concurrency?.key !== null,
              running: of('concurrency'),
            },
      rateLimit: limit.rateLimit
        ? { ...limit.rateLimit, perKey: flow.rateLimit?.key !== null, started: of('rate') }
        : null,
    };
  });
}

/** Why a ready execution is not running yet; null when nothing holds it back. */
export async function describeWaiting(
  queries: Pick<DurableStorageQueries, 'getFlowUsage'>,
  registry: TaskRegistry,
  execution: TaskExecution<unknown>,
  now: number,
): Promise<string | null> {
  if (execution.status !== 'ready') return null;
  const limit = registry.flowLimits().find((l) => l.taskId === execution.taskId);
  const keys = [execution.concurrencyKey, execution.rateKey].filter(
    (key): key is string => key !== undefined,
  );
  if (limit && keys.length > 0) {
    const usage = await queries.getFlowUsage({ limits: [limit], now, keys });
    return limitReason(limit, execution, usage);
  }
  return null;
}

function limitReason(
  limit: TaskFlowLimits,
  execution: TaskExecution<unknown>,
  usage: FlowUsage[],
): string | null {
  const name = (key: string) => (key === '' ? `task ${execution.taskId}` : key);
  const count = (kind: FlowUsage['kind'], key: string | undefined) =>
    usage.find((u) => u.kind === kind && u.key === key)?.count ?? 0;
  if (limit.concurrencyLimit !== null && execution.concurrencyKey !== undefined) {
    const running = count('concurrency', execution.concurrencyKey);
    if (running >= limit.concurrencyLimit) {
      return `waiting for a concurrency slot of ${name(execution.concurrencyKey)}: ${running} of ${limit.concurrencyLimit} running`;
    }
  }
  if (limit.rateLimit && execution.rateKey !== undefined) {
    const started = count('rate', execution.rateKey);
    if (started >= limit.rateLimit.limit) {
      return `waiting for the rate limit of ${name(execution.rateKey)}: ${started} of ${limit.rateLimit.limit} starts in ${limit.rateLimit.periodMs} ms`;
    }
  }
  return null;
}
