/**
 * What differs between SQLite and PostgreSQL in a statement that is otherwise the same: where
 * Durably's tables live, how a list or a JSON batch becomes a relation, row locks, the ready
 * order counter. Every shared statement (./*.ts) is written once against this interface;
 * ../sqlite/dialect.ts and ../postgres/dialect.ts implement it.
 */
import type { Sql } from '@prisma/client/runtime/client';
import type {
  ExternalTransaction,
  InsertedExecution,
  ParentAdvance,
} from '@/server/engine/storage';
import type { DbExecutionRow, NewRowJson } from '../rows';
import type { ClosedChild } from './closes';
import type { KeyHolder } from './idempotency';
import type { Program, ProgramFactory } from './program';
import type { RunResultsPlan } from './runResults';

/** The SQL type of a field of a JSON batch (see `Dialect.jsonRecords`). */
export type FieldType = 'text' | 'bigint' | 'integer' | 'boolean';

export type Fields = readonly (readonly [name: string, type: FieldType])[];

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Durably's executions table, qualified by its namespace (a schema or a table prefix). */
  readonly executions: Sql;
  /** Idempotency keys per task (./idempotency.ts). */
  readonly idempotencyKeys: Sql;
  /** Starts of rate-limited executions (./claims.ts). */
  readonly rateLimitStarts: Sql;
  /** Executors' heartbeats (./heartbeats.ts). */
  readonly executors: Sql;
  /** Sleeping tasks' wakeups by task and unique id (./sleeping.ts). */
  readonly wakeups: Sql;
  /** Leases of background maintenance one executor does at a time (./retention.ts). */
  readonly leases: Sql;
  /**
   * The ready-order value of a row becoming ready in this statement; `ordinal` (1-based, in
   * the statement's order) keeps FIFO order among the rows of one statement.
   */
  readySeq(ordinal: Sql): Sql;
  /** `column IN (values)`, one parameter however many values. */
  inList(column: Sql, values: readonly string[]): Sql;
  /** A JSON array of objects as the relation `alias(fields)`, one parameter for the batch. */
  jsonRecords(json: string, alias: string, fields: Fields): Sql;
  /** After a SELECT that picks rows to change: skip rows another transaction has locked. */
  readonly skipLocked: Sql;
  /** After a SELECT that reads a row before changing it in the same transaction. */
  readonly forUpdate: Sql;
  /** Whether `forUpdate` locks anything (SQLite's write lock already serialises writers). */
  readonly hasRowLocks: boolean;
  /** An extra FROM item of a claim that lets its commit skip the WAL flush wait. */
  readonly relaxedCommit: Sql;
  /** `column` in a comparison that must not drive the plan by its index. */
  unindexed(column: Sql): Sql;
  /** `RETURNING` every execution column of the UPDATE target aliased `t`. */
  readonly returningExecution: Sql;
  /** Compares ids byte-wise, as the in-memory store orders them. */
  readonly bytewise: Sql;
  /**
   * Whether the superjson text in `column` holds, at `path` of its `json` part, the JSON
   * `json` (compared as JSON values). `path` is validated: identifiers and indexes only.
   */
  jsonPathEquals(column: Sql, path: readonly (string | number)[], json: string): Sql;
}

/**
 * The few operations whose statements truly differ: PostgreSQL does each in one statement
 * (data-modifying CTEs, NOTIFY delivered at commit), SQLite in a short write transaction. Run
 * them with `SqlDriver.atomic`.
 */
export interface DialectStatements {
  /**
   * Inserts new roots, taking their idempotency keys; what each row became, in order.
   * `fromApp`: inside the app's transaction, so this process must be woken too.
   */
  insert(rows: NewRowJson[], fromApp: boolean, now: number): Program<InsertedExecution[]>;
  /** The plan's guarded update, then the children / finalize rows of the results applied. */
  applyRunResults(plan: RunResultsPlan, now: number): Program<DbExecutionRow[]>;
  /** Closes the completed children of a batch and counts them in their parents. */
  closeCompletedChildren(executionIds: readonly string[], now: number): Program<ClosedChild[]>;
  /** The guarded advance, and the finalize row with it when there is one. */
  advanceParent(executionId: string, advance: ParentAdvance, now: number): Program<boolean>;
  /** A batch of inserts (some claimed) and run results, in one commit (./writes.ts). */
  write(plan: WritePlan): Program<WriteRows>;
}

/** What `DialectStatements.write` takes (./writes.ts builds it). */
export interface WritePlan {
  inserts: NewRowJson[];
  claimedInserts: NewRowJson[];
  results: RunResultsPlan;
  now: number;
  expireMs: number;
}

/** The rows `DialectStatements.write` read back. */
export interface WriteRows {
  /** Holders of the batch's idempotency keys. */
  holders: KeyHolder[];
  /** The claimed inserts created. */
  claimed: DbExecutionRow[];
  /** The run results applied. */
  applied: DbExecutionRow[];
}

/** Runs programs on one database (see ./program.ts). */
export interface SqlDriver {
  /** Each statement on its own: for single statements and reads. */
  run<T>(program: ProgramFactory<T>): Promise<T>;
  /** A `DialectStatements` program, atomically (one statement, or a transaction). */
  atomic<T>(program: ProgramFactory<T>): Promise<T>;
  /** A transaction, run again whole when the database aborted it before it committed. */
  transaction<T>(program: ProgramFactory<T>): Promise<T>;
  /** Inside the app's own transaction: its fate is the app's (no retry, no commit here). */
  inAppTransaction<T>(tx: ExternalTransaction, program: Program<T>): Promise<T>;
  close(): Promise<void>;
}
