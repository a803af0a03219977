/** The workers page's view of the executors' heartbeats: who is live, who stopped, who died. */
import { FORGET_EXECUTORS_AFTER_MS } from './heartbeat';
import type { DurableStorage, DurableStorageQueries, ExecutorHeartbeat } from './storage';

export type ExecutorState = 'live' | 'stopped' | 'dead';

export interface ExecutorView extends ExecutorHeartbeat {
  state: ExecutorState;
  /**
   * For a dead executor: the executions it was running that are still `running` in the
   * store, each with its lease end (another executor recovers it then).
   */
  inFlight: { executionId: string; taskId: string; expiresAt: number | null }[];
}

/** An executor is dead once this many heartbeat intervals passed without one. */
const MISSED_BEATS_UNTIL_DEAD = 3;

export async function executorsView(
  storage: Pick<DurableStorage, 'getExecutions'> & Pick<DurableStorageQueries, 'listExecutors'>,
  heartbeatIntervalMs: number,
  now: number,
): Promise<ExecutorView[]> {
  const heartbeats = await storage.listExecutors(now - FORGET_EXECUTORS_AFTER_MS);
  const stateOf = (heartbeat: ExecutorHeartbeat): ExecutorState => {
    if (heartbeat.stoppedAt !== null) return 'stopped';
    const silentFor = now - heartbeat.heartbeatAt;
    return silentFor > MISSED_BEATS_UNTIL_DEAD * heartbeatIntervalMs ? 'dead' : 'live';
  };
  const dead = heartbeats.filter((heartbeat) => stateOf(heartbeat) === 'dead');
  const orphanIds = dead.flatMap((heartbeat) => heartbeat.runningExecutionIds);
  const rows = orphanIds.length > 0 ? await storage.getExecutions(orphanIds) : [];
  const stillRunning = new Map(
    rows.filter((row) => row.status === 'running').map((row) => [row.executionId, row]),
  );
  return heartbeats.map((heartbeat) => {
    const state = stateOf(heartbeat);
    const inFlight =
      state !== 'dead'
        ? []
        : heartbeat.runningExecutionIds.flatMap((id) => {
            const row = stillRunning.get(id);
            return row ? [{ executionId: id, taskId: row.taskId, expiresAt: row.expiresAt }] : [];
          });
    return { ...heartbeat, state, inFlight };
  });
}
