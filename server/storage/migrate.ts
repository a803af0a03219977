/**
 * Applies the hand-written SQL migrations of prisma/migrations/<provider>/ (Prisma's folder
 * format) and records them in a table shaped like Prisma's `_prisma_migrations`, so that
 * `prisma migrate deploy` can take over where its schema engine is available.
 * Pending migrations are applied in one transaction, under a lock (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: an advisory lock), so processes starting together migrate once. A database that
 * recorded a migration this code does not have is refused: it belongs to a newer version.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { connectPgClient } from './postgres/connect';
import { parseDatabaseUrl } from './url';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
}

export interface MigrateOptions {
  /** Folder holding `sqlite/` and `postgres/`. @default `<cwd>/prisma/migrations` */
  migrationsDir?: string;
}

export interface MigrateResult {
  /** Names of the migrations applied by this call, in order. */
  applied: string[];
}

/** The database was migrated by a newer version of the code, or its history was altered. */
export class MigrationStateError extends Error {
  override name = 'MigrationStateError';
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "checksum" TEXT NOT NULL,
  "finished_at" DATETIME,
  "migration_name" TEXT NOT NULL,
  "logs" TEXT,
  "rolled_back_at" DATETIME,
  "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
  "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

const APPLIED_QUERY = `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
  WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name`;

/** Any constant: identifies the migration lock among the database's advisory locks. */
const POSTGRES_MIGRATION_LOCK = 7_201_126_001;

export function defaultMigrationsDir(): string {
  return join(process.cwd(), 'prisma', 'migrations');
}

/** The migrations of one provider folder, sorted by name (their timestamp prefix). */
export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new Error(`No migrations folder at ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** What is left to apply; throws when the recorded history does not match the code. */
export function planMigrations(local: Migration[], applied: AppliedMigration[]): Migration[] {
  const byName = new Map(local.map((migration) => [migration.name, migration]));
  const unknown = applied.filter((row) => !byName.has(row.migration_name));
  if (unknown.length > 0) {
    throw new MigrationStateError(
      `The database is ahead of the code: it has migration(s) ${unknown
        .map((row) => row.migration_name)
        .join(', ')} that this version does not know. Run the version that applied them, ` +
        'or restore a backup taken before.',
    );
  }
  for (const row of applied) {
    if (row.finished_at === null) {
      throw new MigrationStateError(
        `Migration ${row.migration_name} was started but never finished; ` +
          'repair the database and mark it rolled back before migrating again.',
      );
    }
    if (byName.get(row.migration_name)?.checksum !== row.checksum) {
      throw new MigrationStateError(
        `Migration ${row.migration_name} was modified after it was applied; ` +
          'migrations must not be edited once shipped (add a new one).',
      );
    }
  }
  const done = new Set(applied.map((row) => row.migration_name));
  return local.filter((migration) => !done.has(migration.name));
}

/** Applies the pending migrations of the database at `url`. */
export async function migrateDatabase(
  url: string,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const target = parseDatabaseUrl(url);
  const dir = join(options.migrationsDir ?? defaultMigrationsDir(), target.provider);
  const local = readMigrations(dir);
  return target.provider === 'sqlite'
    ? migrateSqlite(target.path, local)
    : migratePostgres(target.url, local);
}

function migrateSqlite(path: string, local: Migration[]): MigrateResult {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 30_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(SQLITE_TABLE);
      const applied = db.prepare(APPLIED_QUERY).all() as AppliedMigration[];
      const pending = planMigrations(local, applied);
      const record = db.prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name,
           started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)`,
      );
      for (const migration of pending) {
        const startedAt = Date.now();
        db.exec(migration.sql);
        record.run(randomUUID(), migration.checksum, Date.now(), migration.name, startedAt);
      }
      db.exec('COMMIT');
      return { applied: pending.map((migration) => migration.name) };
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, local: Migration[]): Promise<MigrateResult> {
  const client = await connectPgClient(url);
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [POSTGRES_MIGRATION_LOCK]);
      await client.query(POSTGRES_TABLE);
      const { rows } = await client.query<AppliedMigration>(APPLIED_QUERY);
      const pending = planMigrations(local, rows);
      for (const migration of pending) {
        const { rows: started } = await client.query<{ now: Date }>(
          'SELECT clock_timestamp() AS now',
        );
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name,
             started_at, applied_steps_count) VALUES ($1, $2, clock_timestamp(), $3, $4, 1)`,
          [randomUUID(), migration.checksum, migration.name, started[0]?.now ?? new Date()],
        );
      }
      await client.query('COMMIT');
      return { applied: pending.map((migration) => migration.name) };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await client.end();
  }
}
