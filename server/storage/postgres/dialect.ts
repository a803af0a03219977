/**
 * PostgreSQL's side of the shared statements. Durably's tables live in a schema of their own
 * (default `durably`), always named qualified, so that a statement runs the same on Durably's
 * connections and inside the app's own transaction, whatever its search_path.
 */
import { raw, sqltag as sql } from '@prisma/client/runtime/client';
import type { Dialect, Fields } from '../sql/dialect';
import { EXECUTION_COLUMNS_OF_T } from '../sql/fragments';

export const DEFAULT_SCHEMA = 'durably';

/** Plain identifiers only: they are spliced into statements (quoted), never user data. */
const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function validateSchemaName(schema: string): string {
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new Error(
      `Invalid Durably schema "${schema}": use letters, digits and underscores ` +
        '(at most 63, not starting with a digit)',
    );
  }
  return schema;
}

export interface PostgresDialect extends Dialect {
  readonly schema: string;
  /** The sequence that hands out ready_seq (FIFO order among equal start_at). */
  readonly readySeqName: string;
  /** The NOTIFY channel of this schema's executors. */
  readonly channel: string;
}

export function postgresDialect(schema: string = DEFAULT_SCHEMA): PostgresDialect {
  validateSchemaName(schema);
  const readySeqName = `"${schema}"."task_executions_ready_seq"`;
  return {
    name: 'postgres',
    schema,
    readySeqName,
    // One channel per schema: two Durably schemas in one database never wake each other.
    channel: schema === DEFAULT_SCHEMA ? 'durably' : `durably_${schema}`,
    executions: raw(`"${schema}"."task_executions"`),
    idempotencyKeys: raw(`"${schema}"."idempotency_keys"`),
    rateLimitStarts: raw(`"${schema}"."rate_limit_starts"`),
    executors: raw(`"${schema}"."executors"`),
    wakeups: raw(`"${schema}"."sleeping_wakeups"`),
    leases: raw(`"${schema}"."maintenance_leases"`),
    // A sequence, not MAX(ready_seq) + n, which concurrent transactions would race on.
    readySeq: () => raw(`nextval('${readySeqName}')`),
    inList: (column, values) => sql`${column} = ANY(CAST(${[...values]} AS text[]))`,
    jsonRecords: (json: string, alias: string, fields: Fields) =>
      sql`json_to_recordset(CAST(${json} AS json)) AS ${raw(
        `${alias}(${fields.map(([name, type]) => `${name} ${type}`).join(', ')})`,
      )}`,
    skipLocked: raw('FOR UPDATE SKIP LOCKED'),
    forUpdate: raw('FOR UPDATE'),
    hasRowLocks: true,
    // A claim's commit need not wait for the WAL flush (`synchronous_commit` off for its own
    // transaction only): one lost in a crash leaves the row `ready` under its old lease token,
    // so it runs again and the first run's result is dropped by the lease guard, the
    // at-least-once of any crash. Enqueues and results still wait for the disk.
    relaxedCommit: raw(`, (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`),
    unindexed: (column) => column,
    returningExecution: sql`RETURNING ${EXECUTION_COLUMNS_OF_T}`,
    bytewise: raw('COLLATE "C"'),
    // jsonb equality compares values (key order and spacing aside). Rows whose column is not
    // JSON fail the cast: the default serializer always writes JSON.
    jsonPathEquals: (column, path, json) =>
      sql`(CAST(${column} AS jsonb) #> CAST(${['json', ...path.map(String)]} AS text[])) = CAST(${json} AS jsonb)`,
  };
}
