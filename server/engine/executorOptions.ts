/** Executor options: documented defaults and one validation pass. */
import type { Logger } from './logger';
import { DurableOptionsError } from './options';
import type { Serializer } from './serializer';

export interface DurableExecutorOptions {
  /** Serializes inputs and outputs. @default superjson */
  serializer?: Serializer;
  logger?: Logger;
  /** @default false */
  enableDebug?: boolean;
  /** Lease leeway: a running lease ends at startedAt + timeoutMs + expireMs. @default 60_000 */
  expireMs?: number;
  /** Backstop poll of the background loops when no wake-up arrives. @default 500 */
  backgroundProcessIntraBatchSleepMs?: number;
  /** Runs at once in this executor. @default 1000 */
  maxConcurrentTaskExecutions?: number;
  /** Executions taken per claim. @default 100 */
  maxTaskExecutionsPerBatch?: number;
  /** Lease expiries an execution survives before it fails. @default 3 */
  maxRecoveryAttempts?: number;
  /** @default 1 MiB */
  maxSerializedInputDataSize?: number;
  /** @default 1 MiB */
  maxSerializedOutputDataSize?: number;
  /** @default 1000 */
  maxChildrenPerParent?: number;
  /** Fallback poll of waits when no finish event arrives. @default 1000 */
  waitPollingIntervalMs?: number;
  /** The app's version, shown with this executor on the workers page. @default 'unknown' */
  version?: string;
  /** How often a started executor records its heartbeat. @default 5000 */
  heartbeatIntervalMs?: number;
  /**
   * Finished trees older than this are pruned in the background (by one executor at a time,
   * where the store supports it); null keeps everything. @default null
   */
  retentionMs?: number | null;
  /** How often the retention pass runs. @default 60_000 */
  retentionIntervalMs?: number;
  /** Roots deleted per retention batch. @default 500 */
  retentionBatchSize?: number;
}

const MIB = 1024 * 1024;

export function resolveExecutorOptions(options: DurableExecutorOptions) {
  const resolved = {
    enableDebug: options.enableDebug ?? false,
    expireMs: options.expireMs ?? 60_000,
    backgroundProcessIntraBatchSleepMs: options.backgroundProcessIntraBatchSleepMs ?? 500,
    maxConcurrentTaskExecutions: options.maxConcurrentTaskExecutions ?? 1000,
    maxTaskExecutionsPerBatch: options.maxTaskExecutionsPerBatch ?? 100,
    maxRecoveryAttempts: options.maxRecoveryAttempts ?? 3,
    maxSerializedInputDataSize: options.maxSerializedInputDataSize ?? MIB,
    maxSerializedOutputDataSize: options.maxSerializedOutputDataSize ?? MIB,
    maxChildrenPerParent: options.maxChildrenPerParent ?? 1000,
    waitPollingIntervalMs: options.waitPollingIntervalMs ?? 1000,
    version: options.version ?? 'unknown',
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
    retentionMs: options.retentionMs ?? null,
    retentionIntervalMs: options.retentionIntervalMs ?? 60_000,
    retentionBatchSize: options.retentionBatchSize ?? 500,
  };
  requireInteger('expireMs', resolved.expireMs, 0);
  requireInteger(
    'backgroundProcessIntraBatchSleepMs',
    resolved.backgroundProcessIntraBatchSleepMs,
    1,
  );
  requireInteger('maxConcurrentTaskExecutions', resolved.maxConcurrentTaskExecutions, 1);
  requireInteger('maxTaskExecutionsPerBatch', resolved.maxTaskExecutionsPerBatch, 1);
  requireInteger('maxRecoveryAttempts', resolved.maxRecoveryAttempts, 0);
  requireInteger('maxSerializedInputDataSize', resolved.maxSerializedInputDataSize, 1);
  requireInteger('maxSerializedOutputDataSize', resolved.maxSerializedOutputDataSize, 1);
  requireInteger('maxChildrenPerParent', resolved.maxChildrenPerParent, 1);
  requireInteger('waitPollingIntervalMs', resolved.waitPollingIntervalMs, 1);
  requireInteger('heartbeatIntervalMs', resolved.heartbeatIntervalMs, 1);
  if (resolved.retentionMs !== null) requireInteger('retentionMs', resolved.retentionMs, 1);
  requireInteger('retentionIntervalMs', resolved.retentionIntervalMs, 1);
  requireInteger('retentionBatchSize', resolved.retentionBatchSize, 1);
  return {
    ...resolved,
    maxInputBytes: resolved.maxSerializedInputDataSize,
    maxOutputBytes: resolved.maxSerializedOutputDataSize,
  };
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new DurableOptionsError(`Invalid executor option ${name}: must be an integer >= ${min}`);
  }
}
