/**
 * Applies Durably's hand-written SQL migrations (prisma/durably/migrations/<provider>/, in
 * Prisma's folder format) and records them in Durably's OWN history table: `durably_migrations`
 * in a SQLite file, `<schema>.migrations` in PostgreSQL. It never reads or writes the app's
 * `_prisma_migrations` or any table it did not create (the one exception is moving a database
 * of Durably's old layout over, ./legacyLayout.ts).
 * Pending migrations are applied in one transaction, under a lock (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: an advisory lock per schema), so processes starting together migrate once. A
 * database that recorded a migration this code does not have is refused: it belongs to a
 * newer version.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import {
  LEGACY_BASELINE,
  moveLegacyPostgres,
  moveLegacySqlite,
  postgresLegacySchema,
  sqliteHasLegacyLayout,
} from './legacyLayout';
import { connectPgClient, inPgTransaction } from './postgres/connect';
import { DEFAULT_SCHEMA, validateSchemaName } from './postgres/dialect';
import { parseDatabaseUrl } from './url';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

interface AppliedMigration {
  migration_name: string;
  checksum: string;
}

export interface MigrateOptions {
  /** Folder holding `sqlite/` and `postgres/`. @default `<cwd>/prisma/durably/migrations` */
  migrationsDir?: string;
  /** PostgreSQL schema of Durably's tables. @default the URL's `durablySchema`, else `durably` */
  schema?: string;
}

export interface MigrateResult {
  /** Names of the migrations applied by this call, in order. */
  applied: string[];
}

/** The database was migrated by a newer version of the code, or its history was altered. */
export class MigrationStateError extends Error {
  override name = 'MigrationStateError';
}

const historyTable = (table: string) => `CREATE TABLE IF NOT EXISTS ${table} (
  migration_name TEXT PRIMARY KEY NOT NULL,
  checksum TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

export const SQLITE_HISTORY_TABLE = '"durably_migrations"';

export function defaultMigrationsDir(): string {
  return join(process.cwd(), 'prisma', 'durably', 'migrations');
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
      `The database is ahead of the code: it has Durably migration(s) ${unknown
        .map((row) => row.migration_name)
        .join(', ')} that this version does not know. Run the version that applied them, ` +
        'or restore a backup taken before.',
    );
  }
  for (const row of applied) {
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
  if (target.provider === 'sqlite') return migrateSqlite(target.path, local);
  const schema = validateSchemaName(options.schema ?? target.schema ?? DEFAULT_SCHEMA);
  return migratePostgres(target.url, schema, local);
}

function migrateSqlite(path: string, local: Migration[]): MigrateResult {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 30_000 });
  try {
    db.pragma('journal_mode = WAL');
    return db
      .transaction(() => {
        db.exec(historyTable(SQLITE_HISTORY_TABLE));
        const applied = db
          .prepare(`SELECT migration_name, checksum FROM ${SQLITE_HISTORY_TABLE}`)
          .all() as AppliedMigration[];
        const legacy = applied.length === 0 && sqliteHasLegacyLayout(db);
        const pending = planMigrations(local, applied);
        const record = db.prepare(
          `INSERT INTO ${SQLITE_HISTORY_TABLE} (migration_name, checksum, applied_at)
           VALUES (?, ?, ?)`,
        );
        for (const migration of pending) {
          db.exec(migration.sql);
          if (legacy && migration.name === LEGACY_BASELINE.sqlite) moveLegacySqlite(db);
          record.run(migration.name, migration.checksum, Date.now());
        }
        return { applied: pending.map((migration) => migration.name) };
      })
      .immediate();
  } finally {
    db.close();
  }
}

async function migratePostgres(
  url: string,
  schema: string,
  local: Migration[],
): Promise<MigrateResult> {
  const client = await connectPgClient(url);
  try {
    return await inPgTransaction(client, () => migratePostgresInTransaction(client, schema, local));
  } finally {
    await client.end();
  }
}

async function migratePostgresInTransaction(
  client: pg.Client,
  schema: string,
  local: Migration[],
): Promise<MigrateResult> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`durably-migrate:${schema}`]);
  // Where the old layout put Durably's tables: the connection's own default schema.
  const legacySchema = await postgresLegacySchema(client);
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const history = `"${schema}"."migrations"`;
  await client.query(historyTable(history));
  const { rows: applied } = await client.query<AppliedMigration>(
    `SELECT migration_name, checksum FROM ${history}`,
  );
  const legacy = applied.length === 0 ? legacySchema : null;
  const pending = planMigrations(local, applied);
  // Unqualified names in the migrations land in Durably's schema (for this transaction only).
  await client.query(`SET LOCAL search_path TO "${schema}"`);
  for (const migration of pending) {
    if (legacy === schema && migration.name === LEGACY_BASELINE.postgres) {
      // The old layout's tables already sit in the target schema: only the history moves.
      await moveLegacyPostgres(client, legacy, schema, { copyRows: false });
    } else {
      await client.query(migration.sql);
      if (legacy !== null && migration.name === LEGACY_BASELINE.postgres) {
        await moveLegacyPostgres(client, legacy, schema, { copyRows: true });
      }
    }
    await client.query(
      `INSERT INTO ${history} (migration_name, checksum, applied_at) VALUES ($1, $2, $3)`,
      [migration.name, migration.checksum, Date.now()],
    );
  }
  return { applied: pending.map((migration) => migration.name) };
}
