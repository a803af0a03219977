/**
 * Sleeping executions and their wakeups (the in-memory reference is
 * ../../engine/inMemorySleeping.ts). One row per task and unique id in the wakeups table holds
 * the execution waiting on the id and the wakeup's outcome. A wakeup and the registration of a
 * new sleeping execution both lock that row first (an upsert, which waits for a concurrent
 * one on PostgreSQL) and only then read and write in later statements of the same
 * transaction, each with a fresh snapshot under READ COMMITTED: whichever comes second sees
 * what the first committed, so a wakeup racing an insert is never lost. Run these programs in
 * a transaction.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { DurableExecutionErrorStorageValue } from '@/server/engine/errors';
import {
  DEFAULT_WAKEUP_TTL_MS,
  SLEEPING_TIMED_OUT_ERROR,
  type SleepingExecutionRef,
  type SleepingTimeoutRequest,
  type SleepingTimeoutResult,
  type StoredWakeupOutcome,
  type WakeupRequest,
  type WakeupResult,
} from '@/server/engine/sleepingTypes';
import { errorJson, toNumber, toExecutionRow, type DbExecutionRow } from '../rows';
import type { Dialect, Fields } from './dialect';
import {
  bigint,
  CLOSE_STATUS_ON_FINISH,
  EXECUTION_COLUMNS,
  EXECUTION_COLUMNS_OF_T,
  text,
} from './fragments';
import { execute, queryRows, type Program } from './program';

interface WakeupRow {
  task_id: string;
  unique_id: string;
  execution_id: string | null;
  outcome_status: string | null;
  output: string | null;
  error: string | null;
  expires_at: number | bigint;
}

const WAKEUP_FIELDS: Fields = [
  ['task_id', 'text'],
  ['unique_id', 'text'],
  ['execution_id', 'text'],
  ['outcome_status', 'text'],
  ['output', 'text'],
  ['error', 'text'],
  ['expires_at', 'bigint'],
];

const FINISH_FIELDS: Fields = [
  ['execution_id', 'text'],
  ['status', 'text'],
  ['output', 'text'],
  ['error', 'text'],
];

interface FinishJson {
  execution_id: string;
  status: 'completed' | 'failed';
  output: string | null;
  error: string | null;
}

/** Locks (creating where missing) the wakeup rows of `keys`; returns them as they are now. */
function* lockWakeups(
  d: Dialect,
  keys: { task_id: string; unique_id: string }[],
  expiresAt: number,
): Program<WakeupRow[]> {
  const rows = keys.map((key) => ({
    ...key,
    execution_id: null,
    outcome_status: null,
    output: null,
    error: null,
    expires_at: expiresAt,
  }));
  return yield* queryRows<WakeupRow>(sql`
    INSERT INTO ${d.wakeups} (task_id, unique_id, expires_at)
    SELECT k.task_id, k.unique_id, k.expires_at
    FROM ${d.jsonRecords(JSON.stringify(rows), 'k', WAKEUP_FIELDS)}
    -- A WHERE before ON CONFLICT: SQLite would read the upsert's ON as a join's otherwise.
    WHERE 1 = 1
    ON CONFLICT (task_id, unique_id) DO UPDATE SET task_id = excluded.task_id
    RETURNING task_id, unique_id, execution_id, outcome_status, output, error, expires_at`);
}

function* writeWakeups(d: Dialect, rows: WakeupRow[]): Program<void> {
  if (rows.length === 0) return;
  const json = rows.map((row) => ({ ...row, expires_at: toNumber(row.expires_at) }));
  yield* execute(sql`
    UPDATE ${d.wakeups} AS w SET execution_id = v.execution_id,
      outcome_status = v.outcome_status, output = v.output, error = v.error,
      expires_at = v.expires_at
    FROM ${d.jsonRecords(JSON.stringify(json), 'v', WAKEUP_FIELDS)}
    WHERE w.task_id = v.task_id AND w.unique_id = v.unique_id`);
}

/** Finishes sleeping rows still `waiting_for_event`; returns those it finished. */
function* finishSleeping(
  d: Dialect,
  finishes: FinishJson[],
  now: number,
): Program<DbExecutionRow[]> {
  if (finishes.length === 0) return [];
  return yield* queryRows<DbExecutionRow>(sql`
    UPDATE ${d.executions} AS t SET status = v.status,
      output = CASE WHEN v.status = 'completed' THEN v.output ELSE t.output END,
      error = CASE WHEN v.status = 'completed' THEN t.error ELSE v.error END,
      finished_at = ${bigint(now)}, updated_at = ${bigint(now)}, expires_at = NULL,
      close_status = ${CLOSE_STATUS_ON_FINISH}
    FROM ${d.jsonRecords(JSON.stringify(finishes), 'v', FINISH_FIELDS)}
    WHERE t.execution_id = v.execution_id AND t.status = 'waiting_for_event'
    ${d.returningExecution}`);
}

function outcomeOf(row: WakeupRow, now: number): StoredWakeupOutcome | null {
  if (row.outcome_status === null || toNumber(row.expires_at) <= now) return null;
  if (row.outcome_status === 'completed') return { status: 'completed', output: row.output ?? '' };
  return {
    status: 'failed',
    error: JSON.parse(row.error ?? '{}') as DurableExecutionErrorStorageValue,
  };
}

function finishOf(executionId: string, outcome: StoredWakeupOutcome): FinishJson {
  return outcome.status === 'completed'
    ? { execution_id: executionId, status: 'completed', output: outcome.output, error: null }
    : {
        execution_id: executionId,
        status: 'failed',
        output: null,
        error: errorJson(outcome.error),
      };
}

function withOutcome(row: WakeupRow, outcome: StoredWakeupOutcome | null): WakeupRow {
  return {
    ...row,
    outcome_status: outcome?.status ?? null,
    output: outcome?.status === 'completed' ? outcome.output : null,
    error: outcome?.status === 'failed' ? errorJson(outcome.error) : null,
  };
}

const keyOf = (taskId: string, uniqueId: string) => `${taskId}\u0000${uniqueId}`;

export function* registerSleeping(
  d: Dialect,
  refs: readonly SleepingExecutionRef[],
  now: number,
): Program<DbExecutionRow[]> {
  const keys = new Map<string, { task_id: string; unique_id: string }>();
  for (const ref of refs) {
    keys.set(keyOf(ref.taskId, ref.uniqueId), { task_id: ref.taskId, unique_id: ref.uniqueId });
  }
  // Locked in one order everywhere, so two batches never wait on each other in a cycle.
  const sorted = [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
  const locked = yield* lockWakeups(d, sorted, now + DEFAULT_WAKEUP_TTL_MS);
  const entries = new Map(locked.map((row) => [keyOf(row.task_id, row.unique_id), row]));
  const holderIds = locked.flatMap((row) => (row.execution_id === null ? [] : [row.execution_id]));
  const holders =
    holderIds.length === 0
      ? []
      : yield* queryRows<{ execution_id: string; status: string }>(sql`
          SELECT execution_id, status FROM ${d.executions}
          WHERE ${d.inList(sql`execution_id`, holderIds)}`);
  const statusOf = new Map(holders.map((row) => [row.execution_id, row.status]));
  const changed = new Map<string, WakeupRow>();
  const finishes: FinishJson[] = [];
  for (const ref of refs) {
    const key = keyOf(ref.taskId, ref.uniqueId);
    const entry = changed.get(key) ?? entries.get(key)!;
    const outcome = outcomeOf(entry, now);
    const holder = entry.execution_id;
    if (
      outcome === null &&
      holder !== null &&
      holder !== ref.executionId &&
      statusOf.get(holder) === 'waiting_for_event'
    ) {
      finishes.push({
        execution_id: ref.executionId,
        status: 'failed',
        output: null,
        error: errorJson({
          errorType: 'generic',
          message: `Execution ${holder} of sleeping task ${ref.taskId} already waits for unique id ${ref.uniqueId}`,
          isRetryable: false,
        }),
      });
      continue;
    }
    changed.set(key, {
      ...withOutcome(entry, outcome),
      execution_id: ref.executionId,
      expires_at: Math.max(toNumber(entry.expires_at), ref.deadlineAt + DEFAULT_WAKEUP_TTL_MS),
    });
    statusOf.set(ref.executionId, 'waiting_for_event');
    if (outcome !== null) finishes.push(finishOf(ref.executionId, outcome));
  }
  yield* writeWakeups(d, [...changed.values()]);
  return yield* finishSleeping(d, finishes, now);
}

export function* wakeupSleeping(
  d: Dialect,
  { taskId, uniqueId, outcome, now, ttlMs }: WakeupRequest,
): Program<WakeupResult> {
  const [entry] = yield* lockWakeups(d, [{ task_id: taskId, unique_id: uniqueId }], now + ttlMs);
  const first = outcomeOf(entry!, now);
  if (first !== null) {
    return { kind: 'duplicate', outcome: first, executionId: entry!.execution_id };
  }
  const expiresAt = Math.max(toNumber(entry!.expires_at), now + ttlMs);
  const stored = { ...withOutcome(entry!, outcome), expires_at: expiresAt };
  if (entry!.execution_id !== null) {
    // Finished first, guarded: an execution that timed out or was cancelled meanwhile refuses
    // the wakeup before anything of it is stored.
    const [finished] = yield* finishSleeping(d, [finishOf(entry!.execution_id, outcome)], now);
    if (finished) {
      yield* writeWakeups(d, [stored]);
      return { kind: 'applied', execution: toExecutionRow(finished) };
    }
    const [existing] = yield* queryRows<DbExecutionRow>(sql`
      SELECT ${EXECUTION_COLUMNS} FROM ${d.executions}
      WHERE execution_id = ${entry!.execution_id}`);
    if (existing) return { kind: 'refused', execution: toExecutionRow(existing) };
  }
  yield* writeWakeups(d, [{ ...stored, execution_id: null }]);
  return { kind: 'kept', expiresAt };
}

const timedOutSet = (now: number): Sql => sql`
  status = 'timed_out', error = ${text(errorJson(SLEEPING_TIMED_OUT_ERROR))},
  finished_at = ${bigint(now)}, updated_at = ${bigint(now)}, expires_at = NULL,
  close_status = ${CLOSE_STATUS_ON_FINISH}`;

/** Two statements, each atomic on its own: no transaction needed. */
export function* timeOutSleeping(
  d: Dialect,
  { now, limit }: SleepingTimeoutRequest,
): Program<SleepingTimeoutResult> {
  const timedOut = yield* queryRows<{ execution_id: string }>(sql`
    WITH picked AS MATERIALIZED (
      SELECT execution_id AS picked_id FROM ${d.executions}
      WHERE status = 'waiting_for_event' AND expires_at <= ${bigint(now)}
      ORDER BY expires_at LIMIT ${bigint(limit)}
      ${d.skipLocked}
    )
    UPDATE ${d.executions} AS t SET ${timedOutSet(now)}
    FROM picked WHERE t.execution_id = picked.picked_id AND t.status = 'waiting_for_event'
    RETURNING execution_id`);
  const [next] = yield* queryRows<{ at: number | bigint | null }>(sql`
    SELECT MIN(expires_at) AS at FROM ${d.executions} WHERE status = 'waiting_for_event'`);
  return {
    timedOutExecutionIds: timedOut.map((row) => row.execution_id),
    nextDeadlineAt: next?.at === null || next?.at === undefined ? null : toNumber(next.at),
  };
}

export function* listUnregisteredSleeping(d: Dialect, limit: number): Program<DbExecutionRow[]> {
  return yield* queryRows<DbExecutionRow>(sql`
    SELECT ${EXECUTION_COLUMNS_OF_T} FROM ${d.executions} AS t
    WHERE t.status = 'waiting_for_event' AND NOT EXISTS (
      SELECT 1 FROM ${d.wakeups} AS w WHERE w.execution_id = t.execution_id)
    ORDER BY t.expires_at LIMIT ${bigint(limit)}`);
}

/** Forgets wakeups past their expiry; how many. */
export function* purgeExpiredWakeups(d: Dialect, now: number): Program<number> {
  return yield* execute(sql`DELETE FROM ${d.wakeups} WHERE expires_at <= ${bigint(now)}`);
}
