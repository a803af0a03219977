/**
 * Claiming due executions, and when the next one is due.
 *
 * The claim order is highest priority, then oldest startAt, then the order rows became ready.
 * A claim is one statement. For limited tasks it counts each key's running executions and
 * recent starts and takes, per key, only the top-ranked due rows that fit, all from one
 * snapshot. That keeps the limits exact across executors without locks: two claims racing on
 * one key rank the same rows, so the later one, finding them claimed when its update reaches
 * them (PostgreSQL re-checks `status = 'ready'` on the latest version), takes none of them;
 * and a claim whose snapshot includes the other's commit counts its running rows. SQLite's
 * write lock serialises claims anyway. A busy key contributes nothing, so it never holds back
 * other keys or tasks. Rate-limited claims record their starts (and push what is out of
 * budget) in the same transaction as the claim.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { ClaimRequest, TaskFlowLimits } from '@/server/engine/storage';
import type { DbExecutionRow } from '../rows';
import { sortByReadyOrder, toNumber } from '../rows';
import type { Dialect, Fields } from './dialect';
import { bigint } from './fragments';
import { execute, queryRows, single, type Program } from './program';

const LIMIT_FIELDS: Fields = [
  ['task_id', 'text'],
  ['concurrency_limit', 'integer'],
  ['rate_limit', 'integer'],
  ['period_ms', 'bigint'],
];

/** Whether a claim of `request` needs a transaction (it records rate-limited starts). */
export function claimsRateLimitedTasks(request: ClaimRequest): boolean {
  return limitsOf(request).some((limit) => limit.rateLimit);
}

export function* claimReady(d: Dialect, request: ClaimRequest): Program<DbExecutionRow[]> {
  const limits = limitsOf(request);
  if (limits.length === 0) {
    return sortByReadyOrder(yield* queryRows<DbExecutionRow>(plainClaim(d, request)));
  }
  const rows = sortByReadyOrder(yield* queryRows<DbExecutionRow>(limitedClaim(d, request, limits)));
  if (limits.some((limit) => limit.rateLimit)) {
    const starts = recordStarts(d, limits, rows, request.now);
    if (starts) yield* execute(starts);
    yield* execute(pruneStarts(d, limits, request.now));
    yield* execute(pushOverBudget(d, limits, request.now));
  }
  return rows;
}

function limitsOf({ taskIds, flowLimits = [] }: ClaimRequest): TaskFlowLimits[] {
  return flowLimits.filter((limit) => taskIds.includes(limit.taskId));
}

/** Moves the picked rows to `running` with a new lease token. */
function claimPicked(d: Dialect, { now, expireMs }: ClaimRequest, picked: Sql): Sql {
  return sql`
    ${picked}
    UPDATE ${d.executions} AS t
    SET status = 'running', started_at = ${bigint(now)},
      expires_at = ${bigint(now)} + t.timeout_ms + ${bigint(expireMs)},
      lease_token = t.lease_token + 1, updated_at = ${bigint(now)}
    FROM picked ${d.relaxedCommit}
    WHERE t.execution_id = picked.picked_id AND t.status = 'ready'
    ${d.returningExecution}`;
}

/**
 * Tasks without limits: up to `limit` due rows, picked with SKIP LOCKED where rows lock. The
 * pick is MATERIALIZED: evaluated once, where a subquery joined into the UPDATE could be
 * rescanned, each rescan skipping other locked rows and so returning more than `limit`.
 */
function plainClaim(d: Dialect, request: ClaimRequest): Sql {
  return claimPicked(
    d,
    request,
    sql`
      WITH picked AS MATERIALIZED (
        SELECT execution_id AS picked_id FROM ${d.executions}
        WHERE status = 'ready' AND ${d.inList(sql`task_id`, request.taskIds)}
          AND start_at <= ${bigint(request.now)}
        ORDER BY priority DESC, start_at, ready_seq
        LIMIT ${bigint(request.limit)}
        ${d.skipLocked}
      )`,
  );
}

/**
 * Every requested task: the due rows of tasks without limits, and those of limited tasks that
 * fit, ranked within their key: rank + running <= concurrency limit, rank + started in the
 * period <= rate limit. A running execution whose lease ended frees its slot at once.
 */
function limitedClaim(d: Dialect, request: ClaimRequest, limits: TaskFlowLimits[]): Sql {
  const { now, limit } = request;
  const limitedIds = limits.map((l) => l.taskId);
  const plainIds = request.taskIds.filter((id) => !limitedIds.includes(id));
  const config = limits.map((l) => ({
    task_id: l.taskId,
    concurrency_limit: l.concurrencyLimit,
    rate_limit: l.rateLimit?.limit ?? null,
    period_ms: l.rateLimit?.periodMs ?? null,
  }));
  const order = sql`priority DESC, start_at, ready_seq`;
  const plain =
    plainIds.length === 0
      ? sql`SELECT execution_id, priority, start_at, ready_seq FROM ${d.executions} WHERE 1 = 0`
      : sql`SELECT execution_id, priority, start_at, ready_seq FROM ${d.executions}
          WHERE status = 'ready' AND ${d.inList(sql`task_id`, plainIds)}
            AND start_at <= ${bigint(now)}
          ORDER BY ${order} LIMIT ${bigint(limit)} ${d.skipLocked}`;
  return claimPicked(
    d,
    request,
    sql`
      WITH limits AS (SELECT * FROM ${d.jsonRecords(JSON.stringify(config), 'l', LIMIT_FIELDS)}),
      plain AS MATERIALIZED (${plain}),
      ranked AS (
        SELECT e.execution_id, e.task_id, e.priority, e.start_at, e.ready_seq,
          COALESCE(e.concurrency_key, '') AS ckey, COALESCE(e.rate_key, '') AS rkey,
          ROW_NUMBER() OVER (PARTITION BY e.task_id, COALESCE(e.concurrency_key, '')
            ORDER BY e.priority DESC, e.start_at, e.ready_seq) AS c_rank,
          ROW_NUMBER() OVER (PARTITION BY e.task_id, COALESCE(e.rate_key, '')
            ORDER BY e.priority DESC, e.start_at, e.ready_seq) AS r_rank
        FROM ${d.executions} AS e
        WHERE e.status = 'ready' AND ${d.inList(sql`e.task_id`, limitedIds)}
          AND e.start_at <= ${bigint(now)}
      ),
      running AS (
        SELECT task_id, COALESCE(concurrency_key, '') AS ckey, COUNT(*) AS n
        FROM ${d.executions}
        WHERE status = 'running' AND ${d.inList(sql`task_id`, limitedIds)}
          AND expires_at >= ${bigint(now)}
        GROUP BY task_id, COALESCE(concurrency_key, '')
      ),
      started AS (
        SELECT s.task_id, s.rate_key AS rkey, COUNT(*) AS n
        FROM ${d.rateLimitStarts} AS s JOIN limits ON limits.task_id = s.task_id
        WHERE limits.rate_limit IS NOT NULL AND s.started_at > ${bigint(now)} - limits.period_ms
        GROUP BY s.task_id, s.rate_key
      ),
      eligible AS (
        SELECT r.execution_id, r.priority, r.start_at, r.ready_seq FROM ranked AS r
        JOIN limits ON limits.task_id = r.task_id
        LEFT JOIN running AS c ON c.task_id = r.task_id AND c.ckey = r.ckey
        LEFT JOIN started AS s ON s.task_id = r.task_id AND s.rkey = r.rkey
        WHERE (limits.concurrency_limit IS NULL
            OR r.c_rank + COALESCE(c.n, 0) <= limits.concurrency_limit)
          AND (limits.rate_limit IS NULL OR r.r_rank + COALESCE(s.n, 0) <= limits.rate_limit)
      ),
      picked AS MATERIALIZED (
        SELECT execution_id AS picked_id FROM (
          SELECT * FROM plain UNION ALL SELECT * FROM eligible
        ) AS candidates
        ORDER BY ${order} LIMIT ${bigint(limit)}
      )`,
  );
}

/** One start per claimed row of a rate-limited task; null when there is none. */
function recordStarts(
  d: Dialect,
  limits: TaskFlowLimits[],
  claimed: DbExecutionRow[],
  now: number,
): Sql | null {
  const rated = new Set(limits.filter((l) => l.rateLimit).map((l) => l.taskId));
  const starts = claimed
    .filter((row) => rated.has(row.task_id))
    .map((row) => ({
      task_id: row.task_id,
      rate_key: row.rate_key ?? '',
      execution_id: row.execution_id,
    }));
  if (starts.length === 0) return null;
  return sql`
    INSERT INTO ${d.rateLimitStarts} (task_id, rate_key, started_at, execution_id)
    SELECT s.task_id, s.rate_key, ${bigint(now)}, s.execution_id
    FROM ${d.jsonRecords(JSON.stringify(starts), 's', [
      ['task_id', 'text'],
      ['rate_key', 'text'],
      ['execution_id', 'text'],
    ])}
    WHERE 1 = 1
    ON CONFLICT DO NOTHING`;
}

/** Starts older than their task's period count no more. */
function pruneStarts(d: Dialect, limits: TaskFlowLimits[], now: number): Sql {
  const rated = limits.filter((l) => l.rateLimit);
  const longestPeriodMs = Math.max(...rated.map((l) => l.rateLimit!.periodMs));
  return sql`DELETE FROM ${d.rateLimitStarts}
    WHERE ${d.inList(
      sql`task_id`,
      rated.map((l) => l.taskId),
    )} AND started_at <= ${bigint(now - longestPeriodMs)}`;
}

/**
 * Rate keys out of budget: their due ready rows wait until the oldest start in the period
 * leaves it (startAt pushed), so that nothing polls for them meanwhile.
 */
function pushOverBudget(d: Dialect, limits: TaskFlowLimits[], now: number): Sql {
  const config = limits
    .filter((l) => l.rateLimit)
    .map((l) => ({
      task_id: l.taskId,
      rate_limit: l.rateLimit!.limit,
      period_ms: l.rateLimit!.periodMs,
    }));
  return sql`
    WITH limits AS (SELECT * FROM ${d.jsonRecords(JSON.stringify(config), 'l', [
      ['task_id', 'text'],
      ['rate_limit', 'integer'],
      ['period_ms', 'bigint'],
    ])}),
    spent AS (
      SELECT s.task_id, s.rate_key, MIN(s.started_at) + limits.period_ms AS frees_at
      FROM ${d.rateLimitStarts} AS s JOIN limits ON limits.task_id = s.task_id
      WHERE s.started_at > ${bigint(now)} - limits.period_ms
      GROUP BY s.task_id, s.rate_key, limits.period_ms, limits.rate_limit
      HAVING COUNT(*) >= limits.rate_limit
    )
    UPDATE ${d.executions} AS t SET start_at = spent.frees_at, updated_at = ${bigint(now)}
    FROM spent
    WHERE t.status = 'ready' AND t.task_id = spent.task_id
      AND COALESCE(t.rate_key, '') = spent.rate_key AND t.start_at <= ${bigint(now)}`;
}

export function nextDueAt(d: Dialect, taskIds: readonly string[]): Program<number | null> {
  return single(
    sql`
      SELECT MIN(start_at) AS next FROM ${d.executions}
      WHERE status = 'ready' AND ${d.inList(sql`task_id`, taskIds)}`,
    (rows: { next: number | bigint | null }[]) => {
      const next = rows[0]?.next ?? null;
      return next === null ? null : toNumber(next);
    },
  );
}
