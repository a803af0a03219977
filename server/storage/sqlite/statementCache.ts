/**
 * Prepared statements kept per connection.
 *
 * Prisma 7's better-sqlite3 adapter compiles every query anew (`db.prepare(sql).bind(args)`
 * per call). The engine's hot statements are long CTEs that SQLite takes 0.1-0.2 ms each to
 * compile, about a sixth of an enqueue-to-finish round on this machine, while better-sqlite3
 * is built to prepare once and run many times. The adapter exposes no cache, so this wraps
 * its connection's `prepare`: each text is compiled once, and `bind` hands the adapter a
 * one-use view that passes the arguments at run time instead (a better-sqlite3 statement can
 * be bound only once). The adapter uses nothing else of a statement (checked against the
 * pinned @prisma/adapter-better-sqlite3; test/storage/sqliteStorage.test.ts runs through it).
 */
import type BetterSqlite3 from 'better-sqlite3';

/** Statement texts are a small fixed set (batches travel as JSON); this bounds it anyway. */
const MAX_CACHED_STATEMENTS = 256;

type Statement = BetterSqlite3.Statement<unknown[]>;

/** What the adapter calls on `prepare(sql).bind(args)`. */
interface BoundStatement {
  readonly reader: boolean;
  run(): BetterSqlite3.RunResult;
  columns(): BetterSqlite3.ColumnDefinition[];
  raw(): { all(): unknown[] };
}

function bound(statement: Statement, args: unknown[]): BoundStatement {
  return {
    reader: statement.reader,
    run: () => statement.run(args),
    columns: () => statement.columns(),
    raw: () => ({ all: () => statement.raw(true).all(args) }),
  };
}

/** Makes `db.prepare` compile each text once (at most `maxStatements` kept, LRU). */
export function cachePreparedStatements(
  db: BetterSqlite3.Database,
  maxStatements = MAX_CACHED_STATEMENTS,
): void {
  const compile = db.prepare.bind(db) as (sql: string) => Statement;
  const cache = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement) {
      cache.delete(sql); // re-inserted below: the Map's order is least recently used first
    } else {
      statement = compile(sql);
      if (cache.size >= maxStatements) cache.delete(cache.keys().next().value ?? '');
    }
    cache.set(sql, statement);
    const cached = statement;
    return {
      bind: (args: unknown[]) => bound(cached, args),
      run: () => cached.run(),
    };
  };
  Object.assign(db, { prepare });
}
