/** Connections to PostgreSQL outside Prisma: the migration runner and the LISTEN client. */
import pg from 'pg';
import { redactUrl } from '../url';

/** PostgreSQL could not be reached (down, wrong address, wrong credentials). */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

export const CONNECT_TIMEOUT_MS = 10_000;

export async function connectPgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An error event without a listener would crash the process; callers see query errors.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw unavailable(url, error);
  }
  return client;
}

export function unavailable(url: string, error: unknown): DatabaseUnavailableError {
  const reason = error instanceof Error ? error.message || error.name : String(error);
  return new DatabaseUnavailableError(
    `Cannot connect to PostgreSQL at ${redactUrl(url)}: ${reason}. ` +
      'Is the server running and DATABASE_URL right?',
    { cause: error },
  );
}

/** Runs `fn` between BEGIN and COMMIT on `client`; rolls back when it throws. */
export async function inPgTransaction<T>(
  client: Pick<pg.ClientBase, 'query'>,
  fn: () => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
