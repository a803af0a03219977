/**
 * SQLite's side of the shared statements. Durably's tables carry the `durably_` prefix (a file
 * has no schemas); writers hold the file's write lock, so there are no row locks to take and
 * ready_seq can continue after the largest rowid.
 */
import { empty, raw, sqltag as sql } from '@prisma/client/runtime/client';
import type { Sql } from '@prisma/client/runtime/client';
import type { Dialect, Fields } from '../sql/dialect';
import { EXECUTION_COLUMNS } from '../sql/fragments';

/** Every Durably table and index in a SQLite file starts with this. */
export const SQLITE_TABLE_PREFIX = 'durably_';

export function sqliteTable(name: string): Sql {
  return raw(`"${SQLITE_TABLE_PREFIX}${name}"`);
}

const executions = sqliteTable('task_executions');

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  executions,
  idempotencyKeys: sqliteTable('idempotency_keys'),
  rateLimitStarts: sqliteTable('rate_limit_starts'),
  executors: sqliteTable('executors'),
  wakeups: sqliteTable('sleeping_wakeups'),
  leases: sqliteTable('maintenance_leases'),
  // The largest rowid, read off the table's own b-tree (no index of ready_seq to keep up): a
  // new row's ready_seq is its rowid, and a row ready again ranks after every row inserted
  // before it (ties with later inserts go to the older rowid, the one ready first).
  readySeq: (ordinal) => sql`(SELECT COALESCE(MAX(rowid), 0) FROM ${executions}) + ${ordinal}`,
  inList: (column, values) =>
    sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  jsonRecords: (json: string, alias: string, fields: Fields) =>
    sql`(SELECT ${raw(
      fields.map(([name]) => `value ->> '${name}' AS ${name}`).join(', '),
    )} FROM json_each(${json})) AS ${raw(alias)}`,
  skipLocked: empty,
  forUpdate: empty,
  hasRowLocks: false,
  relaxedCommit: empty,
  // `+column` keeps SQLite from driving a join by that column's index (a batch of results
  // would otherwise scan every running row, each re-reading the JSON batch).
  unindexed: (column) => sql`+${column}`,
  // SQLite's RETURNING names only the target table's columns, unqualified.
  returningExecution: sql`RETURNING ${EXECUTION_COLUMNS}`,
  bytewise: empty,
  // `->` gives the JSON text at the path (json_extract would turn true into 1); a row whose
  // column is not JSON never matches (json_valid keeps `->` from failing the query).
  jsonPathEquals: (column, path, json) =>
    sql`(json_valid(${column}) AND ${column} -> ${sqlitePath(path)} = json(${json}))`,
};

/** `$.json.a[0].b`: segments are validated identifiers and integers. */
function sqlitePath(path: readonly (string | number)[]): string {
  return `$.json${path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`;
}
