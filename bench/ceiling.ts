/**
 * The raw ceiling: per task, the same three row writes the engine makes (insert, claim
 * update, complete update), each its own autocommit statement, straight through
 * better-sqlite3 or pg with no engine and no Prisma. Same durability settings as the engine.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { WorkloadResult } from './workloads';

const COUNT = 2_000;

export async function rawCeiling(target: string): Promise<WorkloadResult> {
  const perSecond = target.startsWith('file:')
    ? sqliteCeiling(target.slice(5))
    : await pgCeiling(target);
  return { value: Math.round(perSecond), unit: 'tasks/s', details: { count: COUNT } };
}

function sqliteCeiling(path: string): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS ceiling (id TEXT PRIMARY KEY, status TEXT NOT NULL, input TEXT, output TEXT, started_at INTEGER, finished_at INTEGER)',
  );
  const insert = db.prepare("INSERT INTO ceiling (id, status, input) VALUES (?, 'ready', 'null')");
  const claim = db.prepare(
    "UPDATE ceiling SET status = 'running', started_at = ? WHERE id = ? AND status = 'ready'",
  );
  const complete = db.prepare(
    "UPDATE ceiling SET status = 'completed', output = 'null', finished_at = ? WHERE id = ? AND status = 'running'",
  );
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) insert.run(`c${i}`);
  for (let i = 0; i < COUNT; i++) claim.run(Date.now(), `c${i}`);
  for (let i = 0; i < COUNT; i++) complete.run(Date.now(), `c${i}`);
  const elapsed = performance.now() - started;
  db.close();
  return (COUNT / elapsed) * 1000;
}

async function pgCeiling(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    'CREATE TABLE IF NOT EXISTS ceiling (id TEXT PRIMARY KEY, status TEXT NOT NULL, input TEXT, output TEXT, started_at BIGINT, finished_at BIGINT)',
  );
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    await client.query("INSERT INTO ceiling (id, status, input) VALUES ($1, 'ready', 'null')", [
      `c${i}`,
    ]);
  }
  for (let i = 0; i < COUNT; i++) {
    await client.query(
      "UPDATE ceiling SET status = 'running', started_at = $1 WHERE id = $2 AND status = 'ready'",
      [Date.now(), `c${i}`],
    );
  }
  for (let i = 0; i < COUNT; i++) {
    await client.query(
      "UPDATE ceiling SET status = 'completed', output = 'null', finished_at = $1 WHERE id = $2 AND status = 'running'",
      [Date.now(), `c${i}`],
    );
  }
  const elapsed = performance.now() - started;
  await client.end();
  return (COUNT / elapsed) * 1000;
}
