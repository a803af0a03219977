/**
 * SQLite's `DialectStatements`: each one a short write transaction of two statements (SQLite
 * has no data-modifying CTEs), run by `SqlDriver.atomic` under the file's write lock, so the
 * second statement sees exactly what the first one did.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import { toNewRowJson, toNumber, type DbExecutionRow } from '../rows';
import { advanceParentUpdate } from '../sql/advances';
import type { ClosedChild } from '../sql/closes';
import type { DialectStatements } from '../sql/dialect';
import { bigint, EXECUTION_COLUMNS } from '../sql/fragments';
import { insertRowsSql } from '../sql/inserts';
import {
  keysOf,
  linkChildren,
  resolveRoots,
  upsertKeysSql,
  type KeyHolder,
} from '../sql/idempotency';
import { execute, queryRows } from '../sql/program';
import { runResultsUpdate } from '../sql/runResults';
import { sqliteDialect as d } from './dialect';

export const sqliteStatements: DialectStatements = {
  *write({ inserts, claimedInserts, results, now, expireMs }) {
    const all = [...inserts, ...claimedInserts];
    const keys = keysOf(all);
    const holders = keys.length > 0 ? yield* queryRows<KeyHolder>(upsertKeysSql(d, keys, now)) : [];
    const insertable = new Set(resolveRoots(all, holders).toInsert.map((row) => row.execution_id));
    const ready = inserts.filter((row) => insertable.has(row.execution_id));
    if (ready.length > 0) yield* execute(insertRowsSql(d, ready));
    const toClaim = claimedInserts.filter((row) => insertable.has(row.execution_id));
    const claimed =
      toClaim.length === 0
        ? []
        : yield* queryRows<DbExecutionRow>(sql`
            ${insertRowsSql(d, toClaim, undefined, undefined, { now, expireMs })}
            RETURNING ${EXECUTION_COLUMNS}`);
    const applied =
      results.updates.length === 0 ? [] : yield* sqliteStatements.applyRunResults(results, now);
    return { holders, claimed, applied };
  },

  // Another connection's commit (the app's transaction's too) reaches executors through the
  // change feed (./changeFeed.ts): nothing to announce here.
  *insert(rows, _fromApp, now) {
    const keys = keysOf(rows);
    const holders = keys.length > 0 ? yield* queryRows<KeyHolder>(upsertKeysSql(d, keys, now)) : [];
    const { toInsert, results } = resolveRoots(rows, holders);
    if (toInsert.length > 0) yield* execute(insertRowsSql(d, toInsert));
    return results;
  },

  *applyRunResults({ updates, newRows }, now) {
    const applied = yield* queryRows<DbExecutionRow>(runResultsUpdate(d, updates, now));
    if (applied.length > 0 && newRows.length > 0) {
      // The owners' updates above are what guard these rows.
      const owners = new Set(applied.map((row) => row.execution_id));
      let owned = newRows.filter(
        (row) => row.owner_execution_id !== null && owners.has(row.owner_execution_id),
      );
      const keys = keysOf(owned);
      if (keys.length > 0) {
        owned = linkChildren(owned, yield* queryRows<KeyHolder>(upsertKeysSql(d, keys, now)));
      }
      if (owned.length > 0) yield* execute(insertRowsSql(d, owned));
    }
    return applied;
  },

  *closeCompletedChildren(executionIds, now) {
    const closed = yield* queryRows<{ execution_id: string; parent_execution_id: string }>(sql`
      UPDATE ${d.executions} SET close_status = 'closed'
      WHERE ${d.inList(sql`execution_id`, executionIds)}
        AND close_status = 'ready' AND status = 'completed'
        AND is_finalize_task = FALSE AND parent_execution_id IS NOT NULL
      RETURNING execution_id, parent_execution_id`);
    if (closed.length === 0) return [];
    const perParent = new Map<string, number>();
    for (const row of closed) {
      perParent.set(row.parent_execution_id, (perParent.get(row.parent_execution_id) ?? 0) + 1);
    }
    const counts = [...perParent].map(([id, n]) => ({ id, n }));
    const parents = yield* queryRows<{
      execution_id: string;
      status: string;
      finished_children_count: number | bigint;
      children_count: number | bigint;
    }>(sql`
      UPDATE ${d.executions} AS t
      SET finished_children_count = t.finished_children_count + c.n, updated_at = ${bigint(now)}
      FROM ${d.jsonRecords(JSON.stringify(counts), 'c', [
        ['id', 'text'],
        ['n', 'integer'],
      ])}
      WHERE t.execution_id = c.id
      RETURNING execution_id, status, finished_children_count, children_count`);
    const byId = new Map(parents.map((parent) => [parent.execution_id, parent]));
    return closed.map((row): ClosedChild => {
      const parent = byId.get(row.parent_execution_id);
      return {
        ...row,
        status: parent?.status ?? null,
        finished_children_count: parent ? toNumber(parent.finished_children_count) : null,
        children_count: parent ? toNumber(parent.children_count) : null,
      };
    });
  },

  *advanceParent(executionId, advance, now) {
    const rows = yield* queryRows(advanceParentUpdate(d, executionId, advance, now));
    if (rows.length === 0) return false;
    if (advance.kind === 'waiting_for_finalize') {
      yield* execute(insertRowsSql(d, [toNewRowJson(advance.finalize, 1)]));
    }
    return true;
  },
};
