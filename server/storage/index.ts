/**
 * The Prisma storage layer: `createPrismaStorage({ url })` opens the database named by the
 * URL (`file:` SQLite, `postgres(ql)://` PostgreSQL), applies pending migrations, and returns
 * a storage ready for a `DurableExecutor`.
 */
import { createConsoleLogger } from '@/server/engine/logger';
import type { Logger } from '@/server/engine/logger';
import { migrateDatabase } from './migrate';
import { NOTIFY_CHANNEL, PgClient } from './postgres/client';
import { PgListener } from './postgres/listener';
import { PostgresStorage } from './postgres/postgresStorage';
import { SqliteChangeFeed } from './sqlite/changeFeed';
import { SqliteClient } from './sqlite/client';
import { SqliteStorage } from './sqlite/sqliteStorage';
import type { PrismaStorage } from './types';
import { parseDatabaseUrl } from './url';

export interface PrismaStorageOptions {
  /** `file:<path>` or `postgres(ql)://...`. */
  url: string;
  logger?: Logger;
  /** Folder holding `sqlite/` and `postgres/` migrations. @default `<cwd>/prisma/migrations` */
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
  const { applied } = await migrateDatabase(options.url, { migrationsDir: options.migrationsDir });
  if (applied.length > 0) logger.info(`Applied migrations: ${applied.join(', ')}`);

  if (target.provider === 'sqlite') {
    const client = await SqliteClient.open(target.path);
    const listen = options.listen ?? true;
    return new SqliteStorage(
      client,
      listen ? new SqliteChangeFeed(target.path, () => client.dataVersion(), logger) : null,
    );
  }
  const client = PgClient.open(target.url, logger, { poolSize: options.poolSize });
  let listener: PgListener | null = null;
  if (options.listen ?? true) {
    listener = new PgListener(target.url, logger, client.origin);
    const listening = await listener.start(async (payload) => {
      await client.prisma.$executeRaw`SELECT pg_notify(${NOTIFY_CHANNEL}, ${payload})`;
    });
    if (!listening) listener = null;
  }
  return new PostgresStorage(client, listener);
}

export { migrateDatabase, MigrationStateError } from './migrate';
export type { MigrateOptions, MigrateResult } from './migrate';
export { DatabaseUnavailableError } from './postgres/connect';
export { DEFAULT_DATABASE_URL, parseDatabaseUrl, redactUrl } from './url';
export type { PrismaStorage, PruneOptions } from './types';
