/** The SQLite store: the shared SQL store over one better-sqlite3 connection and its change feed. */
import type { Logger } from '@/server/engine/logger';
import { SqlStorage } from '../sqlStorage';
import { SqliteChangeFeed } from './changeFeed';
import { SqliteConnection } from './connection';
import { sqliteDialect } from './dialect';
import { sqliteStatements } from './statements';

export function openSqliteStorage(path: string, logger: Logger, listen: boolean): SqlStorage {
  const connection = SqliteConnection.open(path);
  const changeFeed = listen
    ? new SqliteChangeFeed(path, () => connection.dataVersion(), logger)
    : null;
  return new SqlStorage({
    provider: 'sqlite',
    dialect: sqliteDialect,
    statements: sqliteStatements,
    driver: connection,
    // Other processes notice this file's commits through their own change feed.
    announce: () => Promise.resolve(),
    afterRunResults: (rows) => {
      changeFeed?.finishedHere(rows);
      return Promise.resolve();
    },
    ...(changeFeed ? { subscribe: (listener) => changeFeed.subscribe(listener) } : {}),
    stopListening: () => {
      changeFeed?.close();
      return Promise.resolve();
    },
  });
}
