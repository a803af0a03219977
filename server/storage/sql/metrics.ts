/**
 * The metrics page's grouped counts (`DurableStorageQueries.getMetricsCounts`): three GROUP BY
 * statements over the window, each driven by a time index (finished_at, created_at), so the
 * cost follows the executions in the window, not the whole table.
 */
import { empty, raw, sqltag as sql, type Sql } from '@prisma/client/runtime/client';
import { DURATION_BIN_EDGES_MS } from '@/server/engine/metrics';
import type { MetricsCounts, MetricsQuery } from '@/server/engine/storage';
import type { FinishedTaskExecutionStatus } from '@/server/engine/types';
import { toNumber } from '../rows';
import type { Dialect } from './dialect';
import { bigint, text } from './fragments';
import { queryRows, type Program } from './program';

type DbInt = number | bigint;

/** The bin of a duration expression, as `durationBin` computes it (null stays null). */
function binOf(duration: string): Sql {
  const cases = DURATION_BIN_EDGES_MS.map((edge, bin) => `WHEN ${duration} < ${edge} THEN ${bin}`);
  return raw(
    `CASE WHEN ${duration} IS NULL THEN NULL ${cases.join(' ')} ELSE ${DURATION_BIN_EDGES_MS.length} END`,
  );
}

export function* getMetricsCounts(d: Dialect, query: MetricsQuery): Program<MetricsCounts> {
  const since = bigint(query.since);
  const bucketMs = bigint(query.bucketMs);
  const ofTask = query.taskId === undefined ? empty : sql`AND task_id = ${text(query.taskId)}`;
  const finished = yield* queryRows<{
    bucket: DbInt;
    status: string;
    bin: DbInt | null;
    n: DbInt;
  }>(sql`
    SELECT (finished_at - ${since}) / ${bucketMs} AS bucket, status,
      ${binOf('finished_at - started_at')} AS bin, COUNT(*) AS n
    FROM ${d.executions}
    WHERE finished_at IS NOT NULL AND finished_at >= ${since} ${ofTask}
    GROUP BY 1, 2, 3`);
  const waits = yield* queryRows<{ bucket: DbInt; bin: DbInt | null; n: DbInt }>(sql`
    SELECT (finished_at - ${since}) / ${bucketMs} AS bucket,
      ${binOf('started_at - start_at')} AS bin, COUNT(*) AS n
    FROM ${d.executions}
    WHERE finished_at IS NOT NULL AND finished_at >= ${since} ${ofTask}
    GROUP BY 1, 2`);
  const enqueued = yield* queryRows<{ bucket: DbInt; n: DbInt }>(sql`
    SELECT (created_at - ${since}) / ${bucketMs} AS bucket, COUNT(*) AS n
    FROM ${d.executions}
    WHERE created_at >= ${since} ${ofTask}
    GROUP BY 1`);
  const bin = (value: DbInt | null) => (value === null ? null : toNumber(value));
  return {
    finished: finished.map((row) => ({
      bucket: toNumber(row.bucket),
      status: row.status as FinishedTaskExecutionStatus,
      bin: bin(row.bin),
      count: toNumber(row.n),
    })),
    queueWaits: waits.map((row) => ({
      bucket: toNumber(row.bucket),
      bin: bin(row.bin),
      count: toNumber(row.n),
    })),
    enqueued: enqueued.map((row) => ({ bucket: toNumber(row.bucket), count: toNumber(row.n) })),
  };
}
