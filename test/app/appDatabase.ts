/**
 * The tests' stand-in app: its own Prisma schema and migrations (./schema.*.prisma,
 * ./migrations), applied and recorded the way `prisma migrate deploy` does (Prisma's
 * `_prisma_migrations`, in Prisma's own shape), and its own generated Prisma client with a
 * connection of its own, as an app's `server/db.ts` would open it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { readMigrations } from '@/server/storage/migrate';
import { withPgClient } from '@/test/helpers/postgres';
import { PrismaClient as PostgresAppClient } from './generated/postgres/client';
import { PrismaClient as SqliteAppClient } from './generated/sqlite/client';

export type Provider = 'sqlite' | 'postgres';

/**
 * The app's client. Both generated clients have the same API (one model, two providers); the
 * SQLite one's type stands for both, so that tests call either through real generated types.
 */
export type AppClient = SqliteAppClient;

/** Prisma's own history table, as its schema engine creates it. */
const PRISMA_MIGRATIONS_TABLE: Record<Provider, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgres: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};

const RECORD = `INSERT INTO "_prisma_migrations"
  (id, checksum, finished_at, migration_name, applied_steps_count)
  VALUES ($1, $2, CURRENT_TIMESTAMP, $3, 1)`;

export function appMigrationNames(provider: Provider): string[] {
  return readMigrations(join(import.meta.dirname, 'migrations', provider)).map((m) => m.name);
}

/** Applies the app's migrations to `url` and records them in `_prisma_migrations`. */
export async function applyAppMigrations(provider: Provider, url: string): Promise<void> {
  const migrations = readMigrations(join(import.meta.dirname, 'migrations', provider));
  const checksum = (sql: string) => createHash('sha256').update(sql).digest('hex');
  if (provider === 'sqlite') {
    const db = new Database(url.slice('file:'.length));
    try {
      db.exec(PRISMA_MIGRATIONS_TABLE.sqlite);
      for (const migration of migrations) {
        db.exec(migration.sql);
        db.prepare(RECORD.replace(/\$\d/g, '?')).run(
          randomUUID(),
          checksum(migration.sql),
          migration.name,
        );
      }
    } finally {
      db.close();
    }
    return;
  }
  await withPgClient(url, async (client) => {
    await client.query(PRISMA_MIGRATIONS_TABLE.postgres);
    for (const migration of migrations) {
      await client.query(migration.sql);
      await client.query(RECORD, [randomUUID(), checksum(migration.sql), migration.name]);
    }
  });
}

/** The app's own Prisma client on `url`. */
export function openAppClient(provider: Provider, url: string): AppClient {
  if (provider === 'sqlite') {
    return new SqliteAppClient({
      adapter: new PrismaBetterSqlite3({ url: url.slice('file:'.length) }),
    });
  }
  const client = new PostgresAppClient({ adapter: new PrismaPg({ connectionString: url }) });
  return client as unknown as AppClient;
}

/** `_prisma_migrations` as the app left it: Durably must never change it. */
export function readPrismaHistory(provider: Provider, url: string): Promise<unknown[]> {
  const query = `SELECT id, checksum, migration_name FROM "_prisma_migrations" ORDER BY id`;
  if (provider === 'postgres') {
    return withPgClient(url, async (client) => (await client.query<object>(query)).rows);
  }
  const db = new Database(url.slice('file:'.length), { readonly: true });
  try {
    return Promise.resolve(db.prepare(query).all());
  } finally {
    db.close();
  }
}

/** The database's tables, as `schema.table` on PostgreSQL and `table` on SQLite. */
export function listTables(provider: Provider, url: string): Promise<string[]> {
  if (provider === 'postgres') {
    return withPgClient(url, async (client) => {
      const { rows } = await client.query<{ name: string }>(
        `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
      );
      return rows.map((row) => row.name);
    });
  }
  const db = new Database(url.slice('file:'.length), { readonly: true });
  try {
    const rows = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .all() as { name: string }[];
    return Promise.resolve(rows.map((row) => row.name));
  } finally {
    db.close();
  }
}
