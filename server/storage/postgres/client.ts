/**
 * Durably's PostgreSQL connections: a `pg` pool (the driver under Prisma's PostgreSQL adapter)
 * running programs statement by statement, READ COMMITTED transactions retried when
 * PostgreSQL aborts one as a deadlock victim or serialization failure, and the sender of
 * NOTIFY messages. Statements go straight to `pg` rather than through a PrismaClient, which
 * adds ~0.2 ms of its own to each (measured here): more than the statement itself on the hot
 * path. Each statement is prepared once per connection, named after its text.
 */
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '@/server/engine/logger';
import type { ExternalTransaction, StorageNotification } from '@/server/engine/storage';
import { isTransactionConflict, toStorageError } from '../errors';
import type { SqlDriver } from '../sql/dialect';
import { runAsync, type Program, type ProgramFactory, type Statement } from '../sql/program';
import { CONNECT_TIMEOUT_MS, inPgTransaction } from './connect';

/** PostgreSQL refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_000;
const MAX_CONFLICT_RETRIES = 8;

export interface PgClientOptions {
  /** Connections in the pool. @default 10 */
  poolSize?: number;
}

/**
 * BIGINT (epoch milliseconds, counts) as numbers: every value Durably stores fits a double.
 * Set on this pool only, never globally: the app's own `pg` clients keep their parsers.
 */
/** PostgreSQL's type id of BIGINT (int8). */
const INT8_OID = 20;
const parseBigint = (value: string): number => Number(value);

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID
      ? parseBigint
      : (pg.types.getTypeParser as (id: number, f?: string) => unknown)(
          oid,
          format,
        )) as pg.CustomTypesConfig['getTypeParser'],
};

type Queryable = Pick<pg.PoolClient, 'query'>;

export class PgClient implements SqlDriver {
  /**
   * Marks this client's notifications, so its own listener can skip them: the engine in this
   * process already woke itself for what it changed, and an echo would cost a needless claim.
   */
  readonly origin = randomUUID();
  private readonly prepared: boolean;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly channel: string,
    url: string,
  ) {
    this.prepared = !behindPgBouncer(url);
  }

  static open(url: string, channel: string, logger: Logger, options: PgClientOptions = {}) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      types,
    });
    // Idle connections die when the server restarts; the pool replaces them on demand.
    pool.on('error', (error) => logger.error('PostgreSQL pool connection lost', error));
    return new PgClient(pool, logger, channel, url);
  }

  run<T>(program: ProgramFactory<T>): Promise<T> {
    return this.retryConflicts(() =>
      runAsync(program(), (statement) => this.query(this.pool, statement)),
    );
  }

  /** One statement, so atomic on its own; a second one is a bug in the program. */
  atomic<T>(program: ProgramFactory<T>): Promise<T> {
    return this.run(() => singleStatement(program()));
  }

  transaction<T>(program: ProgramFactory<T>): Promise<T> {
    return this.retryConflicts(async () => {
      const client = await this.pool.connect();
      try {
        return await inPgTransaction(client, () =>
          runAsync(program(), (statement) => this.query(client, statement)),
        );
      } finally {
        client.release();
      }
    });
  }

  inAppTransaction<T>(tx: ExternalTransaction, program: Program<T>): Promise<T> {
    return runAsync(program, ({ sql, returns }) =>
      Promise.resolve(
        returns === 'rows'
          ? tx.$queryRawUnsafe(sql.text, ...sql.values)
          : tx.$executeRawUnsafe(sql.text, ...sql.values),
      ),
    );
  }

  /**
   * Sends notifications after the change they announce has committed. A failure is only
   * logged: the change is done, and the backstop poll covers a lost notification.
   */
  async notify(notifications: StorageNotification[]): Promise<void> {
    const payloads = notifications.flatMap((n) => toPayloads(n, this.origin));
    if (payloads.length === 0) return;
    try {
      await this.pool.query({
        ...this.named('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload'),
        values: [this.channel, payloads],
      });
    } catch (error) {
      this.logger.error('Could not send a PostgreSQL notification', error);
    }
  }

  /** A raw query on the pool, for the listener's start probe. */
  async sendRaw(text: string, values: unknown[]): Promise<void> {
    await this.pool.query(text, values);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async query(db: Queryable, { sql, returns }: Statement): Promise<unknown> {
    const result = await db.query({ ...this.named(sql.text), values: sql.values });
    return returns === 'rows' ? result.rows : (result.rowCount ?? 0);
  }

  /**
   * Names each statement after its text, so each connection parses and plans it once and
   * reuses it (the hot statements are long CTEs whose planning cost more than their run).
   * The texts form a small fixed set: batches travel as JSON or array parameters.
   */
  private named(text: string): { text: string; name?: string } {
    if (!this.prepared) return { text };
    return { text, name: `durably_${createHash('sha1').update(text).digest('hex').slice(0, 24)}` };
  }

  /**
   * Runs `fn` and runs it again if PostgreSQL aborted it as a deadlock victim or
   * serialization failure: then nothing of it was committed.
   */
  private async retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn();
      } catch (error) {
        if (attempt >= MAX_CONFLICT_RETRIES || !isTransactionConflict(error)) {
          throw toStorageError(error, 'PostgreSQL');
        }
        this.logger.debug(`Transaction conflict, retrying (attempt ${attempt + 1})`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
      }
    }
  }
}

/** Passes through the one statement of `program`, refusing a second one. */
function* singleStatement<T>(program: Program<T>): Program<T> {
  let step = program.next();
  let statements = 0;
  while (!step.done) {
    statements += 1;
    if (statements > 1) throw new Error('An atomic PostgreSQL program must be one statement');
    step = program.next(yield step.value);
  }
  return step.value;
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
