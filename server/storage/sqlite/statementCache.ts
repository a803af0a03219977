/**
 * Prepared statements kept per connection: better-sqlite3 is built to prepare once and run
 * many times, and the engine's hot statements are long CTEs that SQLite takes 0.1-0.2 ms each
 * to compile, more than running them. Statement texts are a small fixed set (batches travel
 * as JSON parameters); the bound keeps a misbehaving caller from growing it without end.
 */
import type Database from 'better-sqlite3';

const MAX_CACHED_STATEMENTS = 256;

export type Prepared = Database.Statement<unknown[]>;

export class StatementCache {
  /** In least recently used first order (a Map iterates in insertion order). */
  private readonly statements = new Map<string, Prepared>();

  constructor(
    private readonly db: Database.Database,
    private readonly maxStatements = MAX_CACHED_STATEMENTS,
  ) {}

  prepare(text: string): Prepared {
    let statement = this.statements.get(text);
    if (statement) {
      this.statements.delete(text); // re-inserted below, as the most recent
    } else {
      statement = this.db.prepare(text);
      if (this.statements.size >= this.maxStatements) {
        this.statements.delete(this.statements.keys().next().value ?? '');
      }
    }
    this.statements.set(text, statement);
    return statement;
  }

  clear(): void {
    this.statements.clear();
  }
}
