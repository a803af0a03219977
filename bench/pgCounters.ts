/**
 * PostgreSQL's own counters around a workload: transactions committed in its database
 * (pg_stat_database.xact_commit, every statement outside a transaction counting as one) and
 * WAL flushes to disk in the cluster (pg_stat_wal.wal_sync). Read after the workload's process
 * exited, so that its backends have flushed their statistics.
 */
import pg from 'pg';

export interface PgCounters {
  commits: number;
  walSyncs: number;
}

export async function readPgCounters(url: string): Promise<PgCounters> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Counters are kept per backend and published at most once a second.
    await client.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await client.query<{ commits: string; wal_syncs: string }>(
      `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())
           AS commits,
         (SELECT wal_sync FROM pg_stat_wal) AS wal_syncs`,
    );
    return { commits: Number(rows[0]?.commits), walSyncs: Number(rows[0]?.wal_syncs) };
  } finally {
    await client.end();
  }
}

/** Per execution, between two readings (the readings' own transactions left out). */
export function perExecution(before: PgCounters, after: PgCounters, executions: number) {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    commitsPerJob: round((after.commits - before.commits - 1) / executions),
    walSyncsPerJob: round((after.walSyncs - before.walSyncs) / executions),
  };
}
