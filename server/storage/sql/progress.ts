/** Progress of running executions: one guarded statement for a batch, on both databases. */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { ProgressUpdate } from '@/server/engine/storage';
import type { Dialect } from './dialect';
import { single, type Program } from './program';

/** Stores each update while its execution is `running` under the same lease token. */
export function updateProgress(d: Dialect, updates: readonly ProgressUpdate[]): Program<string[]> {
  const json = JSON.stringify(
    updates.map((u) => ({ id: u.executionId, token: u.leaseToken, value: u.progress })),
  );
  return single(
    sql`
      UPDATE ${d.executions} AS t
      SET progress = r.value
      FROM ${d.jsonRecords(json, 'r', [
        ['id', 'text'],
        ['token', 'bigint'],
        ['value', 'text'],
      ])}
      WHERE t.execution_id = r.id AND t.lease_token = r.token AND t.status = 'running'
      RETURNING execution_id`,
    (rows: { execution_id: string }[]) => rows.map((row) => row.execution_id),
  );
}
