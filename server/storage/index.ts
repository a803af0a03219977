/**
 * The storage layer: `createPrismaStorage({ url })` opens the database named by the URL
 * (`file:` SQLite, `postgres(ql)://` PostgreSQL), applies Durably's pending migrations to its
 * own tables there, and returns a storage ready for a `DurableExecutor`. The database may be
 * the app's own, next to its Prisma models: Durably's tables have a namespace of their own
 * (the `durably_` prefix on SQLite, a schema on PostgreSQL) and their own migration history.
 */
import { createConsoleLogger } from '@/server/engine/logger';
import type { Logger } from '@/server/engine/logger';
import { migrateDatabase } from './migrate';
import { openPostgresStorage } from './postgres/backend';
import { DEFAULT_SCHEMA, postgresDialect } from './postgres/dialect';
import { openSqliteStorage } from './sqlite/backend';
import type { PrismaStorage } from './types';
import { parseDatabaseUrl } from './url';

export interface PrismaStorageOptions {
  /** `file:<path>` or `postgres(ql)://...` (optionally with `?durablySchema=<name>`). */
  url: string;
  /**
   * PostgreSQL schema of Durably's tables, created when missing. Never the app's own schema.
   * @default the URL's `durablySchema` parameter, else `durably`
   */
  schema?: string;
  logger?: Logger;
  /** Folder holding `sqlite/` and `postgres/` migrations. @default `<cwd>/prisma/durably/migrations` */
  migrationsDir?: string;
  /** PostgreSQL pool size. @default 10 */
  poolSize?: number;
  /**
   * Hear other processes' changes: PostgreSQL LISTEN, a `data_version` poll on SQLite
   * (./sqlite/changeFeed.ts). Without it the engine finds them by polling. @default true
   */
  listen?: boolean;
}

export async function createPrismaStorage(options: PrismaStorageOptions): Promise<PrismaStorage> {
  const logger = options.logger ?? createConsoleLogger(false);
  const target = parseDatabaseUrl(options.url);
  const schema = target.provider === 'postgres' ? (options.schema ?? target.schema) : undefined;
  const { applied } = await migrateDatabase(options.url, {
    migrationsDir: options.migrationsDir,
    schema,
  });
  if (applied.length > 0) logger.info(`Applied Durably migrations: ${applied.join(', ')}`);

  const listen = options.listen ?? true;
  if (target.provider === 'sqlite') return openSqliteStorage(target.path, logger, listen);
  return openPostgresStorage(target.url, postgresDialect(schema ?? DEFAULT_SCHEMA), logger, {
    poolSize: options.poolSize,
    listen,
  });
}

export { migrateDatabase, MigrationStateError } from './migrate';
export type { MigrateOptions, MigrateResult } from './migrate';
export { DatabaseUnavailableError } from './postgres/connect';
export { DEFAULT_SCHEMA } from './postgres/dialect';
export { SQLITE_TABLE_PREFIX } from './sqlite/dialect';
export { StorageError } from './errors';
export { DEFAULT_DATABASE_URL, parseDatabaseUrl, redactUrl } from './url';
export type { PrismaStorage, PruneOptions } from './types';
