/** Executors' heartbeats: one row per executor, replaced at each beat (the workers page). */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { ExecutorHeartbeat } from '@/server/engine/storage';
import { toNumber } from '../rows';
import type { Dialect } from './dialect';
import { bigint, text } from './fragments';
import { execute, single, type Program } from './program';

interface DbHeartbeatRow {
  executor_id: string;
  host: string;
  pid: number | bigint;
  version: string;
  task_ids: string;
  running_execution_ids: string;
  started_at: number | bigint;
  heartbeat_at: number | bigint;
  stopped_at: number | bigint | null;
}

export function* recordHeartbeat(
  d: Dialect,
  heartbeat: ExecutorHeartbeat,
  forgetBefore: number,
): Program<void> {
  const stoppedAt = heartbeat.stoppedAt === null ? sql`NULL` : bigint(heartbeat.stoppedAt);
  yield* execute(sql`
    INSERT INTO ${d.executors} (executor_id, host, pid, version, task_ids,
      running_execution_ids, started_at, heartbeat_at, stopped_at)
    VALUES (${text(heartbeat.executorId)}, ${text(heartbeat.host)},
      CAST(${heartbeat.pid} AS INTEGER), ${text(heartbeat.version)},
      ${text(JSON.stringify(heartbeat.taskIds))},
      ${text(JSON.stringify(heartbeat.runningExecutionIds))}, ${bigint(heartbeat.startedAt)},
      ${bigint(heartbeat.heartbeatAt)}, ${stoppedAt})
    ON CONFLICT (executor_id) DO UPDATE SET
      running_execution_ids = excluded.running_execution_ids, task_ids = excluded.task_ids,
      heartbeat_at = excluded.heartbeat_at, stopped_at = excluded.stopped_at`);
  yield* execute(sql`DELETE FROM ${d.executors} WHERE heartbeat_at < ${bigint(forgetBefore)}`);
}

export function listExecutors(d: Dialect, since: number): Program<ExecutorHeartbeat[]> {
  return single(
    sql`
      SELECT executor_id, host, pid, version, task_ids, running_execution_ids, started_at,
        heartbeat_at, stopped_at
      FROM ${d.executors} WHERE heartbeat_at >= ${bigint(since)}
      ORDER BY started_at DESC, executor_id ${d.bytewise}`,
    (rows: DbHeartbeatRow[]) =>
      rows.map((row) => ({
        executorId: row.executor_id,
        host: row.host,
        pid: toNumber(row.pid),
        version: row.version,
        taskIds: JSON.parse(row.task_ids) as string[],
        runningExecutionIds: JSON.parse(row.running_execution_ids) as string[],
        startedAt: toNumber(row.started_at),
        heartbeatAt: toNumber(row.heartbeat_at),
        stoppedAt: row.stopped_at === null ? null : toNumber(row.stopped_at),
      })),
  );
}
