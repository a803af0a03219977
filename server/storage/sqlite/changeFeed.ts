/**
 * Other connections' commits to one SQLite file, announced as the engine's notifications.
 *
 * SQLite has no NOTIFY. Without this, a worker process would find new work only at the
 * engine's backstop poll (500 ms) and a web app would see a finish only at its wait poll
 * (1 s). Every POLL_MS the feed asks the store's own connection for `PRAGMA data_version`: a
 * few microseconds that read the WAL index, no disk and no lock, and the value changes only
 * when another connection committed, never for this process's own commits. Then it announces
 * `work_ready` (the commit may have enqueued or retried work) and reads, on a read connection
 * of its own (better-sqlite3 outside Prisma, like PostgreSQL's LISTEN connection, so it never
 * queues behind the store's operations or sees their uncommitted writes), the executions
 * finished since its last look, by the finished_at index: `finished` with their rows (waiters
 * return them without a read), and `cancelled` for the cancelled ones, so their code is
 * aborted wherever it runs.
 *
 * finished_at is stamped before the commit, so a row can become visible after a row with a
 * later stamp: each look reaches back OVERLAP_MS and skips what it announced already. A row
 * committed later than that after its stamp is still found by the engine's own polls.
 */
import Database from 'better-sqlite3';
import type { Logger } from '@/server/engine/logger';
import type { ExecutionRow } from '@/server/engine/storage';
import { NotificationListeners, type NotificationListener } from '../notificationListeners';
import { toExecutionRow, type DbExecutionRow } from '../rows';
import { EXECUTION_COLUMNS } from '../sql/fragments';
import { sqliteDialect } from './dialect';

export const POLL_MS = 10;
const OVERLAP_MS = 250;
/** Rows read per look at most; the rest wait for the next look. */
const MAX_ROWS_PER_LOOK = 2_000;

/** Finished since `from`, minus those already announced (a JSON array of ids), oldest first. */
const FINISHED_SINCE = `SELECT ${EXECUTION_COLUMNS.sql} FROM ${sqliteDialect.executions.sql}
  WHERE finished_at >= ? AND execution_id NOT IN (SELECT value FROM json_each(?))
  ORDER BY finished_at LIMIT ${MAX_ROWS_PER_LOOK}`;

export class SqliteChangeFeed {
  private db: Database.Database | null = null;
  private finishedSince: Database.Statement<[number, string], DbExecutionRow> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: NotificationListeners;
  private lastDataVersion: number | null = null;
  /** Everything finished before this (minus OVERLAP_MS) was announced or predates the feed. */
  private cursor = 0;
  /** Ids announced within the overlap window, with their finished_at. */
  private readonly announced = new Map<string, number>();
  private failing = false;
  /** The last look stopped at MAX_ROWS_PER_LOOK: look again even without a new commit. */
  private behind = false;

  /** `dataVersion`: the store connection's `data_version` (./connection.ts), null if closed. */
  constructor(
    private readonly path: string,
    private readonly dataVersion: () => number | null,
    private readonly logger: Logger,
  ) {
    this.listeners = new NotificationListeners(logger);
  }

  subscribe(listener: NotificationListener): () => void {
    const remove = this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      remove();
      if (this.listeners.size === 0) this.stop();
    };
  }

  close(): void {
    this.listeners.clear();
    this.stop();
  }

  /**
   * Executions this process just finished: its executor announced them already, so the feed
   * skips them when another process's commit makes it look.
   */
  finishedHere(rows: readonly ExecutionRow[]): void {
    if (!this.timer) return;
    for (const row of rows) {
      if (row.finishedAt === null) continue;
      this.announced.set(row.executionId, row.finishedAt);
      this.cursor = Math.max(this.cursor, row.finishedAt);
    }
    this.forgetOutsideOverlap();
  }

  /** Drops announced ids older than the overlap window (oldest first: insertion order). */
  private forgetOutsideOverlap(): void {
    for (const [id, finishedAt] of this.announced) {
      if (finishedAt >= this.cursor - OVERLAP_MS) return;
      this.announced.delete(id);
    }
  }

  private start(): void {
    try {
      // Never waits for a lock: a look that finds the file busy is simply retried next time.
      this.db = new Database(this.path, { fileMustExist: true, timeout: 0 });
      this.finishedSince = this.db.prepare(FINISHED_SINCE);
      this.lastDataVersion = this.dataVersion();
    } catch (error) {
      this.logger.error(`Cannot watch ${this.path} for other processes' changes`, error);
      this.db?.close();
      this.db = null;
      return;
    }
    // Finishes from before the feed started are for reads, not announcements.
    this.cursor = Date.now();
    this.timer = setInterval(() => this.look(), POLL_MS);
    // Polling is never what keeps a process alive.
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.db?.close();
    this.db = null;
    this.finishedSince = null;
    this.announced.clear();
  }

  private look(): void {
    const finishedSince = this.finishedSince;
    if (!finishedSince) return;
    let finished: ExecutionRow[];
    try {
      const version = this.dataVersion();
      if (version === null || (version === this.lastDataVersion && !this.behind)) return;
      this.lastDataVersion = version;
      finished = this.readFinished(finishedSince);
      this.behind = finished.length === MAX_ROWS_PER_LOOK;
      this.failing = false;
    } catch (error) {
      // Logged once per run of failures: the engine's polls cover what this misses.
      if (!this.failing) this.logger.error(`Watching ${this.path} failed; retrying`, error);
      this.failing = true;
      return;
    }
    this.listeners.emit({ type: 'work_ready' });
    if (finished.length === 0) return;
    const cancelled = finished.filter((row) => row.status === 'cancelled');
    if (cancelled.length > 0) {
      this.listeners.emit({
        type: 'cancelled',
        executionIds: cancelled.map((row) => row.executionId),
      });
    }
    this.listeners.emit({
      type: 'finished',
      executionIds: finished.map((row) => row.executionId),
      rows: finished,
    });
  }

  /** Executions finished since the last look that were not announced yet, oldest first. */
  private readFinished(
    finishedSince: Database.Statement<[number, string], DbExecutionRow>,
  ): ExecutionRow[] {
    const rows = finishedSince.all(
      this.cursor - OVERLAP_MS,
      JSON.stringify([...this.announced.keys()]),
    );
    const fresh: ExecutionRow[] = [];
    for (const row of rows) {
      const finishedAt = Number(row.finished_at);
      this.announced.set(row.execution_id, finishedAt);
      this.cursor = Math.max(this.cursor, finishedAt);
      fresh.push(toExecutionRow(row));
    }
    this.forgetOutsideOverlap();
    return fresh;
  }
}
