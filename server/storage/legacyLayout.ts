/**
 * Durably's old layout, and the move out of it. Until this version, Durably kept its table
 * unprefixed (`task_executions`, in the connection's default PostgreSQL schema) and recorded
 * its one migration in Prisma's `_prisma_migrations`, so it could not share the app's
 * database. A database in that layout is recognised by its history row, and moved within the
 * migration transaction that creates the new layout: rows copied into Durably's own table
 * (every execution, in whatever state), the old table dropped, and Durably's row deleted from
 * `_prisma_migrations`, the table itself dropped only if nothing else is left in it (Durably
 * created it).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

/** The old layout's only migration, as recorded in `_prisma_migrations`. */
export const LEGACY_MIGRATION = '20261129163210_init';

/** The new layout's migration that creates the table the old rows move into. */
export const LEGACY_BASELINE = { sqlite: '20261202000000_init', postgres: LEGACY_MIGRATION };

/** The old layout's columns: every later column has a default. */
export const LEGACY_COLUMNS = `execution_id, task_id, status, run_input, run_output, output, error,
  root_task_id, root_execution_id, parent_task_id, parent_execution_id, index_in_parent,
  is_finalize_task, retry_options, sleep_ms_before_run, timeout_ms, retry_attempts,
  recovery_attempts, start_at, ready_seq, started_at, finished_at, expires_at, lease_token,
  children_count, finished_children_count, children_tasks_errors, finalize_task_execution_id,
  finalize_task_id, finalize_task_error, close_status, created_at, updated_at`;

const COLUMNS = LEGACY_COLUMNS;

const HISTORY_ROW = `migration_name = '${LEGACY_MIGRATION}'
  AND finished_at IS NOT NULL AND rolled_back_at IS NULL`;

export function sqliteHasLegacyLayout(db: Database.Database): boolean {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`);
  if (!table.get('_prisma_migrations') || !table.get('task_executions')) return false;
  return db.prepare(`SELECT 1 FROM "_prisma_migrations" WHERE ${HISTORY_ROW}`).get() !== undefined;
}

/** Runs after the new table exists, in the same transaction. */
export function moveLegacySqlite(db: Database.Database): void {
  db.exec(`
    INSERT INTO "durably_task_executions" (${COLUMNS}) SELECT ${COLUMNS} FROM "task_executions";
    DROP TABLE "task_executions";
    DELETE FROM "_prisma_migrations" WHERE migration_name = '${LEGACY_MIGRATION}';`);
  const left = db.prepare(`SELECT COUNT(*) AS n FROM "_prisma_migrations"`).get() as { n: number };
  if (left.n === 0) db.exec(`DROP TABLE "_prisma_migrations"`);
}

/** The schema holding the old layout, or null when the database is not in it. */
export async function postgresLegacySchema(client: pg.Client): Promise<string | null> {
  const { rows } = await client.query<{
    schema: string;
    history: string | null;
    executions: string | null;
  }>(
    `SELECT current_schema() AS schema,
       to_regclass(format('%I._prisma_migrations', current_schema()))::text AS history,
       to_regclass(format('%I.task_executions', current_schema()))::text AS executions`,
  );
  const found = rows[0];
  if (!found?.history || !found.executions) return null;
  const { rowCount } = await client.query(
    `SELECT 1 FROM "${found.schema}"."_prisma_migrations" WHERE ${HISTORY_ROW}`,
  );
  return rowCount ? found.schema : null;
}

/**
 * Moves the old layout's rows from `legacy` into `schema` (unless they are there already) and
 * takes Durably's row out of the app's `_prisma_migrations`.
 */
export async function moveLegacyPostgres(
  client: pg.Client,
  legacy: string,
  schema: string,
  { copyRows }: { copyRows: boolean },
): Promise<void> {
  if (copyRows) {
    await client.query(`
      INSERT INTO "${schema}"."task_executions" (${COLUMNS})
        SELECT ${COLUMNS} FROM "${legacy}"."task_executions";
      SELECT setval('"${schema}"."task_executions_ready_seq"', last_value, is_called)
        FROM "${legacy}"."task_executions_ready_seq";
      DROP TABLE "${legacy}"."task_executions";
      DROP SEQUENCE IF EXISTS "${legacy}"."task_executions_ready_seq";`);
  }
  await client.query(
    `DELETE FROM "${legacy}"."_prisma_migrations" WHERE migration_name = '${LEGACY_MIGRATION}'`,
  );
  const { rows } = await client.query<{ n: string }>(
    `SELECT COUNT(*) AS n FROM "${legacy}"."_prisma_migrations"`,
  );
  if (Number(rows[0]?.n) === 0) await client.query(`DROP TABLE "${legacy}"."_prisma_migrations"`);
}
