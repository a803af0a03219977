/**
 * The PostgreSQL connection: Prisma over a `pg` pool (READ COMMITTED transactions, retried
 * when PostgreSQL aborts one as a deadlock victim or serialization failure) and the sender of
 * NOTIFY messages on the `durably` channel.
 */
import { createHash, randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Logger } from '@/server/engine/logger';
import type { StorageNotification } from '@/server/engine/storage';
import { isTransactionConflict, toStorageError } from '../errors';
import { Prisma, PrismaClient } from '../generated/postgres/client';
import { CONNECT_TIMEOUT_MS } from './connect';

export type PgDb = Prisma.TransactionClient;

export const NOTIFY_CHANNEL = 'durably';
/** PostgreSQL refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_000;
const MAX_CONFLICT_RETRIES = 8;

export interface PgClientOptions {
  /** Connections in the pool. @default 10 */
  poolSize?: number;
}

export class PgClient {
  /**
   * Marks this client's notifications, so its own listener can skip them: the engine in this
   * process already woke itself for what it changed, and an echo would cost a needless claim.
   */
  readonly origin = randomUUID();
  private constructor(
    readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  static open(url: string, logger: Logger, options: PgClientOptions = {}): PgClient {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    // Idle connections die when the server restarts; the pool replaces them on demand.
    pool.on('error', (error) => logger.error('PostgreSQL pool connection lost', error));
    const adapter = new PrismaPg(pool, {
      ...(behindPgBouncer(url) ? {} : { statementNameGenerator: preparedStatementName }),
      onConnectionError: (error) => logger.error('PostgreSQL connection error', error),
    });
    return new PgClient(new PrismaClient({ adapter }), pool, logger);
  }

  /** A READ COMMITTED transaction, run again from the start if PostgreSQL aborted it. */
  transaction<T>(fn: (db: PgDb) => Promise<T>): Promise<T> {
    return this.run(() =>
      this.prisma.$transaction(fn, {
        isolationLevel: Prisma.TransactionIsolationLevel.ReadCommitted,
        maxWait: 10_000,
        timeout: 60_000,
      }),
    );
  }

  /**
   * Runs `fn` (one statement, or a transaction) and runs it again if PostgreSQL aborted it as
   * a deadlock victim or serialization failure: then nothing of it was committed.
   */
  async run<T>(fn: (db: PgDb) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn(this.prisma);
      } catch (error) {
        if (attempt >= MAX_CONFLICT_RETRIES || !isTransactionConflict(error)) {
          throw toStorageError(error, 'PostgreSQL');
        }
        this.logger.debug(`Transaction conflict, retrying (attempt ${attempt + 1})`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
      }
    }
  }

  /**
   * Sends notifications after the change they announce has committed. A failure is only
   * logged: the change is done, and the backstop poll covers a lost notification.
   */
  async notify(notifications: StorageNotification[]): Promise<void> {
    const payloads = this.payloadsFor(notifications);
    if (payloads.length === 0) return;
    try {
      await this.prisma.$executeRaw`
        SELECT pg_notify(${NOTIFY_CHANNEL}, payload) FROM unnest(${payloads}::text[]) AS payload`;
    } catch (error) {
      this.logger.error('Could not send a PostgreSQL notification', error);
    }
  }

  /** NOTIFY payloads of `notifications`, marked with this client's origin. */
  payloadsFor(notifications: StorageNotification[]): string[] {
    return notifications.flatMap((n) => toPayloads(n, this.origin));
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await this.pool.end();
  }
}

/**
 * Names every statement after its text, so each connection parses and plans it once and
 * reuses it (the hot statements are long CTEs whose planning cost more than their run). The
 * texts form a small fixed set: batches travel as JSON or array parameters, never as text.
 */
function preparedStatementName(query: { sql: string }): string {
  return `durably_${createHash('sha1').update(query.sql).digest('hex').slice(0, 24)}`;
}

/**
 * `?pgbouncer=true` (Prisma's own convention): a pooler in transaction mode may hand each
 * statement another server connection, where a statement prepared elsewhere does not exist,
 * so statements stay unnamed. pg ignores the parameter itself.
 */
function behindPgBouncer(url: string): boolean {
  return new URL(url).searchParams.get('pgbouncer') === 'true';
}

/** One payload per notification, ids split so that each payload fits NOTIFY's limit. */
function toPayloads(notification: StorageNotification, origin: string): string[] {
  if (notification.type === 'work_ready') return [JSON.stringify({ ...notification, origin })];
  const payloads: string[] = [];
  let chunk: string[] = [];
  let size = 64;
  const flush = () => {
    if (chunk.length > 0) {
      payloads.push(JSON.stringify({ type: notification.type, executionIds: chunk, origin }));
    }
    chunk = [];
    size = 64;
  };
  for (const id of notification.executionIds) {
    if (size + id.length + 3 > MAX_PAYLOAD_BYTES) flush();
    chunk.push(id);
    size += Buffer.byteLength(id) + 3;
  }
  flush();
  return payloads;
}
