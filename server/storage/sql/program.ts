/**
 * Storage operations as programs: a generator that yields the statements it needs, one at a
 * time, and is resumed with each one's result. The same program then runs on either
 * database and in either mode: synchronously on SQLite (a transaction that never yields to the
 * event loop, see ../sqlite/connection.ts), asynchronously on PostgreSQL, or inside the app's
 * own transaction. Statements are Prisma `Sql` fragments, so values always travel as
 * parameters.
 */
import type { Sql } from '@prisma/client/runtime/client';

/** One statement and what the program wants back: its rows, or its count of changed rows. */
export type Statement = { sql: Sql; returns: 'rows' } | { sql: Sql; returns: 'count' };

export type Program<T> = Generator<Statement, T, unknown>;

/** A program is started anew for each attempt (a retried transaction re-runs it whole). */
export type ProgramFactory<T> = () => Program<T>;

/** Runs `sql` and returns its rows (a SELECT, or a write with RETURNING). */
export function* queryRows<R>(sql: Sql): Generator<Statement, R[], unknown> {
  return (yield { sql, returns: 'rows' }) as R[];
}

/** Runs a write and returns how many rows it changed. */
export function* execute(sql: Sql): Generator<Statement, number, unknown> {
  return (yield { sql, returns: 'count' }) as number;
}

/** The single statement a one-statement program yields, with the result it maps. */
export function* single<R, T>(sql: Sql, map: (rows: R[]) => T): Program<T> {
  return map(yield* queryRows<R>(sql));
}

/** Drives `program` synchronously: each statement is run by `run` before the next. */
export function runSync<T>(program: Program<T>, run: (statement: Statement) => unknown): T {
  let step = program.next();
  while (!step.done) step = program.next(run(step.value));
  return step.value;
}

/** Drives `program` asynchronously: each statement is awaited before the next. */
export async function runAsync<T>(
  program: Program<T>,
  run: (statement: Statement) => Promise<unknown>,
): Promise<T> {
  let step = program.next();
  while (!step.done) step = program.next(await run(step.value));
  return step.value;
}
