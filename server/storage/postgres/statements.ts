/**
 * PostgreSQL's `DialectStatements`: each one ONE statement of data-modifying CTEs (atomic
 * without a transaction), announcing its changes with NOTIFY, which PostgreSQL delivers when
 * the statement commits, so announcing costs no round trip of its own.
 */
import { join, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import { toNewRowJson, type DbExecutionRow } from '../rows';
import { advanceParentUpdate } from '../sql/advances';
import type { ClosedChild } from '../sql/closes';
import type { DialectStatements } from '../sql/dialect';
import { ACTIVE_STATUS_LIST, bigint, EXECUTION_COLUMNS, text } from '../sql/fragments';
import { keysOf, resolveRoots, upsertKeysSql, type KeyHolder } from '../sql/idempotency';
import { insertRowsSql } from '../sql/inserts';
import { execute, queryRows } from '../sql/program';
import { runResultsUpdate, type RunResultsPlan } from '../sql/runResults';
import type { PostgresDialect } from './dialect';

/**
 * Finished ids are announced by the run-results statement itself when they fit one payload
 * (PostgreSQL's limit is 8000 bytes); otherwise by the caller, in chunks. `inlineNotifiable`
 * is the same rule in JavaScript. The finished rows ride along when they fit too, so a waiter
 * in another process returns without reading its row back.
 */
const MAX_INLINE_BYTES = 7_000;

export function inlineNotifiable(executionIds: readonly string[]): boolean {
  const bytes = executionIds.reduce((sum, id) => sum + Buffer.byteLength(id) + 3, 0);
  return bytes <= MAX_INLINE_BYTES;
}

/**
 * `origin` marks this process's notifications, which its own listener skips (the engine here
 * already woke itself). An insert in the app's transaction goes unmarked: this process's
 * executor must hear of it too, and only at the app's commit.
 */
export function postgresStatements(d: PostgresDialect, origin: string): DialectStatements {
  const channel = text(d.channel);
  const workReady = (marked: boolean) =>
    JSON.stringify(marked ? { type: 'work_ready', origin } : { type: 'work_ready' });

  /**
   * The CTEs that apply a batch of run results (`upd` returns the updated rows), insert the
   * children of those that applied, and announce finishes and new work at commit; `notes` must
   * be referenced for the announcements to be evaluated.
   */
  function resultParts({ updates, newRows }: RunResultsPlan, now: number) {
    const owned = sql`r.owner_execution_id IN (SELECT execution_id FROM upd)`;
    const keys = keysOf(newRows);
    // Children with idempotency keys take them in the same statement; one whose key another
    // execution holds is linked to it (only then is the statement any longer).
    const childKeys =
      keys.length === 0
        ? []
        : [
            sql`child_keys AS (${upsertKeysSql(
              d,
              keys,
              now,
              sql`k.owner_execution_id IN (SELECT execution_id FROM upd)`,
            )})`,
          ];
    const linked =
      keys.length === 0
        ? undefined
        : sql`NULLIF((SELECT ck.execution_id FROM child_keys AS ck
            WHERE ck.task_id = r.task_id AND ck.idempotency_key = r.idempotency_key),
            r.execution_id)`;
    const ctes = [
      sql`upd AS (${runResultsUpdate(d, updates, now)})`,
      ...childKeys,
      sql`ins AS (${insertRowsSql(d, newRows, owned, linked)})`,
      sql`finished AS (
        SELECT execution_id, row_to_json(upd)::text AS row_json FROM upd
        WHERE status NOT IN ${ACTIVE_STATUS_LIST}
      )`,
      sql`finished_note AS (
        SELECT pg_notify(${channel}, json_build_object('type', 'finished',
          'executionIds', json_agg(execution_id), 'origin', ${text(origin)},
          'rows', CASE WHEN sum(octet_length(execution_id) + octet_length(row_json) + 4)
            <= ${MAX_INLINE_BYTES} THEN json_agg(row_json::json) END)::text)
        FROM finished
        HAVING count(*) > 0 AND sum(octet_length(execution_id) + 3) <= ${MAX_INLINE_BYTES}
      )`,
      sql`ready_note AS (
        SELECT pg_notify(${channel}, ${text(workReady(true))})
        FROM upd WHERE status IN ${ACTIVE_STATUS_LIST} HAVING count(*) > 0
      )`,
    ];
    return {
      ctes,
      notes: sql`(SELECT count(*) FROM finished_note) + (SELECT count(*) FROM ready_note)`,
    };
  }

  return {
    *insert(rows, fromApp, now) {
      const note = text(workReady(!fromApp));
      const keys = keysOf(rows);
      if (keys.length === 0) {
        // Run for its effects: its one row is pg_notify's void, which the app's client would
        // refuse to read back.
        yield* execute(sql`
          WITH inserted AS (${insertRowsSql(d, rows)})
          SELECT pg_notify(${channel}, ${note})`);
        return resolveRoots(rows, []).results;
      }
      const taken = sql`r.idempotency_key IS NULL OR r.execution_id IN (SELECT execution_id FROM keys)`;
      const holders = yield* queryRows<KeyHolder | { task_id: null }>(sql`
        WITH keys AS (${upsertKeysSql(d, keys, now)}),
        inserted AS (${insertRowsSql(d, rows, taken)}),
        note AS (SELECT pg_notify(${channel}, ${note}) AS sent)
        SELECT task_id, idempotency_key, execution_id FROM keys
        -- One more row, so that the notification is sent (and a text, which any client reads).
        UNION ALL SELECT NULL, NULL, CAST(count(*) AS text) FROM note`);
      return resolveRoots(
        rows,
        holders.filter((row): row is KeyHolder => row.task_id !== null),
      ).results;
    },

    applyRunResults(plan, now) {
      const parts = resultParts(plan, now);
      return queryRows<DbExecutionRow>(sql`
        WITH ${join(parts.ctes, ', ')}
        -- The notes are referenced so that PostgreSQL evaluates them (once: uncorrelated).
        SELECT ${EXECUTION_COLUMNS}, ${parts.notes} AS notes FROM upd`);
    },

    *write({ inserts, claimedInserts, results, now, expireMs }) {
      const ctes: Sql[] = [];
      const outputs: Sql[] = [];
      const notes: Sql[] = [];
      const keys = keysOf([...inserts, ...claimedInserts]);
      if (keys.length > 0) {
        ctes.push(sql`keys AS (${upsertKeysSql(d, keys, now)})`);
        outputs.push(sql`SELECT 'key', json_build_object('task_id', task_id,
          'idempotency_key', idempotency_key, 'execution_id', execution_id)::text FROM keys`);
      }
      const taken =
        keys.length === 0
          ? undefined
          : sql`r.idempotency_key IS NULL OR r.execution_id IN (SELECT execution_id FROM keys)`;
      if (inserts.length > 0) {
        ctes.push(sql`inserted AS (${insertRowsSql(d, inserts, taken)} RETURNING execution_id)`);
        ctes.push(sql`insert_note AS (SELECT pg_notify(${channel}, ${text(workReady(true))})
          FROM (SELECT 1 FROM inserted LIMIT 1) AS any_inserted)`);
        notes.push(sql`(SELECT count(*) FROM insert_note)`);
      }
      if (claimedInserts.length > 0) {
        // Claimed for this executor, which runs them at once: nobody else needs waking.
        const claim = { now, expireMs };
        ctes.push(sql`claimed AS (
          ${insertRowsSql(d, claimedInserts, taken, undefined, claim)}
          RETURNING ${EXECUTION_COLUMNS})`);
        outputs.push(sql`SELECT 'claimed', row_to_json(claimed)::text FROM claimed`);
      }
      if (results.updates.length > 0) {
        const parts = resultParts(results, now);
        ctes.push(...parts.ctes);
        notes.push(parts.notes);
        outputs.push(sql`SELECT 'applied', row_to_json(upd)::text FROM upd`);
      }
      // One more row, so that every note is evaluated (and the statement returns something).
      outputs.push(
        sql`SELECT 'notes', CAST(${notes.length > 0 ? join(notes, ' + ') : sql`0`} AS text)`,
      );
      const rows = yield* queryRows<{ part: string; data: string }>(sql`
        WITH ${join(ctes, ', ')}
        SELECT part, data FROM (${join(outputs, ' UNION ALL ')}) AS out(part, data)`);
      const of = <T>(part: string) =>
        rows.filter((row) => row.part === part).map((row) => JSON.parse(row.data) as T);
      return {
        holders: of<KeyHolder>('key'),
        claimed: of<DbExecutionRow>('claimed'),
        applied: of<DbExecutionRow>('applied'),
      };
    },

    closeCompletedChildren(executionIds, now) {
      return queryRows<ClosedChild>(sql`
        WITH closed AS (
          UPDATE ${d.executions} SET close_status = 'closed'
          WHERE ${d.inList(sql`execution_id`, executionIds)} AND close_status = 'ready'
            AND status = 'completed' AND is_finalize_task = FALSE
            AND parent_execution_id IS NOT NULL
          RETURNING execution_id, parent_execution_id
        ),
        per_parent AS (
          SELECT parent_execution_id, count(*) AS n FROM closed GROUP BY parent_execution_id
        ),
        counted AS (
          UPDATE ${d.executions} AS p
          SET finished_children_count = p.finished_children_count + per_parent.n,
            updated_at = ${bigint(now)}
          FROM per_parent WHERE p.execution_id = per_parent.parent_execution_id
          RETURNING p.execution_id, p.status, p.finished_children_count, p.children_count
        )
        SELECT closed.execution_id, closed.parent_execution_id,
          counted.status, counted.finished_children_count, counted.children_count
        FROM closed LEFT JOIN counted ON counted.execution_id = closed.parent_execution_id`);
    },

    *advanceParent(executionId, advance, now) {
      const finalize = advance.kind === 'waiting_for_finalize' ? [advance.finalize] : [];
      const insertFinalize = insertRowsSql(
        d,
        finalize.map((row) => toNewRowJson(row, 1)),
        sql`EXISTS (SELECT 1 FROM upd)`,
      );
      // A finalize to run is new work; a parent that finished is news for its waiters.
      const note = finalize.length > 0 ? workReady(true) : null;
      const rows = yield* queryRows(sql`
        WITH upd AS (${advanceParentUpdate(d, executionId, advance, now)}),
        ins AS (${insertFinalize}),
        note AS (
          SELECT pg_notify(${channel}, COALESCE(${text(note)}, json_build_object(
            'type', 'finished', 'executionIds', json_build_array(execution_id),
            'origin', ${text(origin)})::text))
          FROM upd
        )
        SELECT execution_id, (SELECT count(*) FROM note) AS notes FROM upd`);
      return rows.length > 0;
    },
  };
}
