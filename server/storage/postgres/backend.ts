/**
 * The PostgreSQL store: the shared SQL store over a `pg` pool, announcing changes with
 * NOTIFY and hearing other processes' through a LISTEN connection.
 */
import type { Logger } from '@/server/engine/logger';
import { isFinishedStatus } from '@/server/engine/types';
import { SqlStorage } from '../sqlStorage';
import { PgClient, type PgClientOptions } from './client';
import type { PostgresDialect } from './dialect';
import { PgListener } from './listener';
import { inlineNotifiable, postgresStatements } from './statements';
import { PgWakeGroups } from './wakeGroups';

export interface PostgresStorageOptions extends PgClientOptions {
  /** Hear other processes' changes through LISTEN. @default true */
  listen?: boolean;
}

export async function openPostgresStorage(
  url: string,
  dialect: PostgresDialect,
  logger: Logger,
  options: PostgresStorageOptions = {},
): Promise<SqlStorage> {
  const client = PgClient.open(url, dialect.channel, logger, options);
  let listener: PgListener | null = null;
  if (options.listen ?? true) {
    listener = new PgListener(url, dialect.channel, logger, client.origin);
    const listening = await listener.start((payload) =>
      client.sendRaw('SELECT pg_notify($1, $2)', [dialect.channel, payload]),
    );
    if (!listening) listener = null;
  }
  const wakeGroups =
    listener &&
    new PgWakeGroups(listener, dialect.channel, (group) =>
      client.sendRaw('SELECT pg_notify($1, $2)', [
        dialect.channel,
        JSON.stringify({ type: 'wake_vacancy', group, origin: client.origin }),
      ]),
    );
  return new SqlStorage({
    provider: 'postgres',
    dialect,
    statements: postgresStatements(dialect, client.origin),
    driver: client,
    announce: (notifications) => client.notify(notifications),
    afterRunResults: async (rows) => {
      // The statement announced its results itself unless there were too many for one payload.
      const finished = rows
        .filter((row) => isFinishedStatus(row.status))
        .map((row) => row.executionId);
      if (finished.length > 0 && !inlineNotifiable(finished)) {
        await client.notify([{ type: 'finished', executionIds: finished }]);
      }
    },
    ...(listener ? { subscribe: listener.subscribe.bind(listener) } : {}),
    ...(wakeGroups ? { joinWakeGroup: (onVacancy) => wakeGroups.join(onVacancy) } : {}),
    stopListening: async () => {
      await listener?.close();
    },
  });
}
