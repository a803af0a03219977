/**
 * Durably's SQLite connection: better-sqlite3 (the driver under Prisma's SQLite adapter) in WAL
 * mode, running every program synchronously.
 *
 * Why synchronously, and not through a PrismaClient: the app's own Prisma client has a
 * connection of its own to the same file, in the same process, and better-sqlite3 waits for the
 * file's write lock synchronously, blocking the event loop. So
 * - Durably never holds the write lock across an event-loop turn: a transaction runs from
 *   BEGIN IMMEDIATE to COMMIT in one synchronous call (a Prisma interactive transaction awaits
 *   between its statements, and an app query blocking on the lock in between would keep that
 *   transaction from ever committing until the app's busy timeout);
 * - Durably never blocks the event loop long waiting for the lock, which the app's open
 *   transaction may hold: it waits synchronously at most SYNC_BUSY_WAIT_MS (what another
 *   process's short write takes), then retries asynchronously, letting the app's transaction
 *   run on to its COMMIT.
 * It is also ~30x cheaper per statement than PrismaClient's raw queries (6-30 us against
 * 190-250 us measured here), and statements are compiled once and kept.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ExternalTransaction } from '@/server/engine/storage';
import { isBusyError, StorageError } from '../errors';
import type { SqlDriver } from '../sql/dialect';
import {
  runAsync,
  runSync,
  type Program,
  type ProgramFactory,
  type Statement,
} from '../sql/program';
import { StatementCache } from './statementCache';

/** The longest a statement blocks the event loop waiting for another connection's lock. */
export const SYNC_BUSY_WAIT_MS = 5;
/** How long an operation keeps retrying a busy file before it fails. */
export const BUSY_WAIT_MS = 30_000;
const MAX_RETRY_DELAY_MS = 50;

export class SqliteConnection implements SqlDriver {
  private readonly cache: StatementCache;
  private closed = false;

  private constructor(private readonly db: Database.Database) {
    this.cache = new StatementCache(db);
  }

  static open(path: string): SqliteConnection {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: SYNC_BUSY_WAIT_MS });
    try {
      // WAL lets readers proceed during a write; it is persistent, set again in case the file
      // was created elsewhere. NORMAL is durable in WAL mode except for the last commits on
      // power loss, never corrupting.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteConnection(db);
  }

  /**
   * SQLite's `data_version` as this connection sees it: it changes when ANOTHER connection
   * (another process, the app's Prisma client, another store on the file) commits, never for
   * this one's own commits. A few microseconds; null once closed.
   */
  dataVersion(): number | null {
    return this.closed ? null : Number(this.db.pragma('data_version', { simple: true }));
  }

  run<T>(program: ProgramFactory<T>): Promise<T> {
    return this.whenNotBusy(() => runSync(program(), (statement) => this.execute(statement)));
  }

  atomic<T>(program: ProgramFactory<T>): Promise<T> {
    return this.transaction(program);
  }

  /** BEGIN IMMEDIATE ... COMMIT in one synchronous call; rolled back if anything throws. */
  transaction<T>(program: ProgramFactory<T>): Promise<T> {
    return this.whenNotBusy(() =>
      this.db
        .transaction(() => runSync(program(), (statement) => this.execute(statement)))
        .immediate(),
    );
  }

  inAppTransaction<T>(tx: ExternalTransaction, program: Program<T>): Promise<T> {
    return runAsync(program, ({ sql, returns }) => {
      const values = sql.values.map(toSqliteValue);
      return Promise.resolve(
        returns === 'rows'
          ? tx.$queryRawUnsafe(sql.sql, ...values)
          : tx.$executeRawUnsafe(sql.sql, ...values),
      );
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.cache.clear();
      this.db.close();
    }
    return Promise.resolve();
  }

  private execute({ sql, returns }: Statement): unknown {
    const statement = this.cache.prepare(sql.sql);
    const values = sql.values.map(toSqliteValue);
    if (statement.reader) {
      const rows = statement.all(...values);
      return returns === 'rows' ? rows : rows.length;
    }
    const { changes } = statement.run(...values);
    return returns === 'rows' ? [] : changes;
  }

  /** Runs `attempt` until it does not find the file locked, waiting asynchronously between. */
  private async whenNotBusy<T>(attempt: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_WAIT_MS;
    for (let retry = 0; ; retry += 1) {
      if (this.closed) {
        throw new StorageError('SQLite query failed: the store is closed', undefined, {
          cause: undefined,
        });
      }
      try {
        return attempt();
      } catch (error) {
        // A busy failure rolled the whole attempt back: running it again is safe.
        if (!isBusyError(error) || Date.now() > deadline) throw toSqliteStorageError(error);
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(MAX_RETRY_DELAY_MS, 2 ** retry)),
        );
      }
    }
  }
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; SQLite has no booleans. */
function toSqliteValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

function toSqliteStorageError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  return new StorageError(`SQLite query failed: ${error.message}`, error.code, { cause: error });
}
