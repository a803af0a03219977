/**
 * The SQLite connection: Prisma over better-sqlite3 in WAL mode, with a busy timeout, shared
 * safely by several processes on one file.
 *
 * Write transactions must take the database's write lock up front (what BEGIN IMMEDIATE
 * does): a transaction that reads first and writes later fails with SQLITE_BUSY_SNAPSHOT,
 * without waiting, when another process committed in between. Prisma 7's better-sqlite3
 * adapter starts every transaction with a plain `BEGIN` (deferred) and does not expose its
 * connection, so each write transaction here makes its FIRST statement a write instead: that
 * statement acquires the write lock (waiting up to the busy timeout) before it reads
 * anything, which is exactly BEGIN IMMEDIATE's behaviour. Single-statement writes need no
 * transaction at all. A statement that times out waiting is rolled back with its transaction
 * and the operation is retried. WAL also keeps COMMIT from ever waiting for a lock (the lock
 * is already held), which matters: the adapter cannot recover a COMMIT that fails with
 * SQLITE_BUSY (prisma/orm#29933, rollback-journal mode).
 *
 * The adapter has one connection per client, and a query issued while another operation's
 * transaction is open would run inside that transaction. So operations are serialised
 * in-process by `run`, across every client of one file: better-sqlite3 is synchronous, so a
 * second connection of this process waiting for the write lock would block the event loop,
 * and with it the first connection's COMMIT, until its busy timeout. Nothing is lost: one
 * process never ran two statements at once anyway.
 */
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { PrismaClient } from '../generated/sqlite/client';
import type { Prisma } from '../generated/sqlite/client';
import { isBusyError, toStorageError } from '../errors';
import { cachePreparedStatements } from './statementCache';

export type SqliteDb = Prisma.TransactionClient;

/** How long a statement waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 10_000;
const MAX_BUSY_RETRIES = 5;

/** One operation at a time per database file in this process. */
class OperationQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const queuesByPath = new Map<string, OperationQueue>();

export class SqliteClient {
  private readonly queue: OperationQueue;
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly prisma: PrismaClient,
    path: string,
    private readonly connection: () => BetterSqlite3.Database | null,
  ) {
    let queue = queuesByPath.get(path);
    if (!queue) {
      queue = new OperationQueue();
      queuesByPath.set(path, queue);
    }
    this.queue = queue;
  }

  static async open(path: string): Promise<SqliteClient> {
    let connection: BetterSqlite3.Database | null = null;
    const adapter = onAdapterConnection(
      new PrismaBetterSqlite3({ url: path, timeout: BUSY_TIMEOUT_MS }),
      (db) => {
        cachePreparedStatements(db);
        connection = db;
      },
    );
    const prisma = new PrismaClient({ adapter });
    try {
      // WAL lets readers proceed during a write; it is persistent, set again in case the file
      // was created elsewhere. NORMAL is durable in WAL mode except for the last commits on
      // power loss, never corrupting.
      await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
      await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
    } catch (error) {
      await prisma.$disconnect();
      throw error;
    }
    return new SqliteClient(prisma, path, () => connection);
  }

  /**
   * SQLite's `data_version` as this connection sees it: it changes when ANOTHER connection
   * (another process, another store on the file) commits, never for this one's own commits.
   * Read straight from the connection (a few microseconds); null before it opened.
   */
  dataVersion(): number | null {
    const db = this.connection();
    return db && db.open ? Number(db.pragma('data_version', { simple: true })) : null;
  }

  /** Runs `fn` alone on the connection; retries it when the file stayed locked too long. */
  run<T>(fn: (db: SqliteDb) => Promise<T>): Promise<T> {
    const result = this.queue.run(() => withBusyRetry(() => fn(this.prisma)));
    this.pending = result.catch(() => undefined);
    return result;
  }

  /** Like `run`, in a transaction whose first statement must be a write (see above). */
  transaction<T>(fn: (db: SqliteDb) => Promise<T>): Promise<T> {
    return this.run(() => this.prisma.$transaction(fn, { maxWait: 30_000, timeout: 60_000 }));
  }

  async close(): Promise<void> {
    await this.pending;
    await this.prisma.$disconnect();
  }
}

async function withBusyRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      // A busy failure rolled the whole operation back: running it again is safe.
      if (attempt >= MAX_BUSY_RETRIES || !isBusyError(error)) throw toStorageError(error, 'SQLite');
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

/**
 * Calls `onConnection` with each better-sqlite3 connection `factory` opens, before Prisma
 * uses it. The adapter's connection is a plain property, outside its typed interface.
 */
function onAdapterConnection(
  factory: PrismaBetterSqlite3,
  onConnection: (db: BetterSqlite3.Database) => void,
): PrismaBetterSqlite3 {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    onConnection((adapter as unknown as { client: BetterSqlite3.Database }).client);
    return adapter;
  };
  return factory;
}
