/**
 * A database that Durably's old layout migrated (its table unprefixed, in the default
 * PostgreSQL schema, its history in Prisma's `_prisma_migrations`), with executions in every
 * state, is moved over to the new layout by the migration: nothing lost, every execution
 * readable, the active ones run on to the end, and Prisma's history left to the app.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableExecutor, type FinishedTaskExecution } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';
import { LEGACY_COLUMNS } from '@/server/storage/legacyLayout';
import { listTables } from '@/test/app/appDatabase';
import { createTestDatabase, withPgClient } from '@/test/helpers/postgres';
import { silentLogger } from './fixtures';

type Provider = 'sqlite' | 'postgres';

const LEGACY_INIT = '20261129163210_init';
const LEGACY_SQL: Record<Provider, string> = {
  sqlite: readFileSync(join(import.meta.dirname, 'legacy', `sqlite-${LEGACY_INIT}.sql`), 'utf8'),
  // The PostgreSQL migration is the same file in both layouts (it runs in Durably's schema now).
  postgres: readFileSync(
    join(process.cwd(), 'prisma/durably/migrations/postgres', LEGACY_INIT, 'migration.sql'),
    'utf8',
  ),
};

const dir = mkdtempSync(join(tmpdir(), 'durably-legacy-'));
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops.splice(0)) await drop();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.now() - 60_000;
const NO_RETRIES = JSON.stringify({
  maxAttempts: 0,
  baseDelayMs: 0,
  delayMultiplier: 1,
  maxDelayMs: null,
});
const serialize = (value: unknown) => superjson.stringify(value);
const error = (message: string, errorType = 'generic') =>
  JSON.stringify({ errorType, message, isRetryable: false });

/** A stored execution of the old layout, every column given. */
function legacyRow(
  id: string,
  taskId: string,
  status: string,
  extra: Record<string, unknown> = {},
) {
  const finished = ![
    'ready',
    'running',
    'waiting_for_children_tasks',
    'waiting_for_finalize_task',
  ].includes(status);
  return {
    execution_id: id,
    task_id: taskId,
    status,
    run_input: serialize({ n: 1 }),
    run_output: null,
    output: null,
    error: null,
    root_task_id: null,
    root_execution_id: null,
    parent_task_id: null,
    parent_execution_id: null,
    index_in_parent: 0,
    is_finalize_task: false,
    retry_options: NO_RETRIES,
    sleep_ms_before_run: 0,
    timeout_ms: 5000,
    retry_attempts: 0,
    recovery_attempts: 0,
    start_at: T,
    ready_seq: 0,
    started_at: status === 'ready' ? null : T,
    finished_at: finished ? T + 10 : null,
    expires_at: null,
    lease_token: status === 'ready' ? 0 : 1,
    children_count: 0,
    finished_children_count: 0,
    children_tasks_errors: null,
    finalize_task_execution_id: null,
    finalize_task_id: null,
    finalize_task_error: null,
    close_status: finished ? 'closed' : 'idle',
    created_at: T,
    updated_at: T,
    ...extra,
  };
}

const child = (parent: string, parentTaskId: string, index: number) => ({
  root_task_id: parentTaskId,
  root_execution_id: parent,
  parent_task_id: parentTaskId,
  parent_execution_id: parent,
  index_in_parent: index,
  is_finalize_task: index < 0,
});

/** Executions in every status, as the old layout stored them. */
const LEGACY_ROWS = [
  legacyRow('l_ready', 'leg_leaf', 'ready', { ready_seq: 1 }),
  // Its executor died: the lease expired a while ago.
  legacyRow('l_running', 'leg_leaf', 'running', { expires_at: T + 1, ready_seq: 2 }),
  legacyRow('l_parent', 'leg_parent', 'waiting_for_children_tasks', {
    run_output: serialize('ran'),
    children_count: 2,
    finished_children_count: 1,
  }),
  legacyRow('l_child0', 'leg_leaf', 'completed', {
    ...child('l_parent', 'leg_parent', 0),
    output: serialize(10),
  }),
  legacyRow('l_child1', 'leg_leaf', 'ready', {
    ...child('l_parent', 'leg_parent', 1),
    ready_seq: 3,
  }),
  legacyRow('l_fin_parent', 'leg_parent2', 'waiting_for_finalize_task', {
    run_output: serialize('ran'),
    finalize_task_execution_id: 'l_fin',
    finalize_task_id: 'leg_fin',
  }),
  legacyRow('l_fin', 'leg_fin', 'ready', {
    ...child('l_fin_parent', 'leg_parent2', -1),
    ready_seq: 4,
  }),
  legacyRow('l_completed', 'leg_leaf', 'completed', { output: serialize(2) }),
  legacyRow('l_failed', 'leg_leaf', 'failed', { error: error('boom') }),
  legacyRow('l_timed_out', 'leg_leaf', 'timed_out', {
    error: error('Task timed out', 'timed_out'),
  }),
  legacyRow('l_cancelled', 'leg_leaf', 'cancelled', {
    error: error('Task cancelled', 'cancelled'),
  }),
  legacyRow('l_children_failed', 'leg_parent', 'children_tasks_failed', {
    error: error('Children tasks failed'),
    children_tasks_errors: JSON.stringify([
      {
        index: 0,
        taskId: 'leg_leaf',
        executionId: 'gone',
        error: JSON.parse(error('x')) as object,
      },
    ]),
  }),
  legacyRow('l_finalize_failed', 'leg_parent2', 'finalize_task_failed', {
    error: error('Finalize task failed'),
    finalize_task_error: error('fin boom'),
  }),
];

const PRISMA_HISTORY: Record<Provider, string> = {
  sqlite: `CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,
    "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgres: `CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};

/** The old layout, built as the old code left it, plus (optionally) an app migration of its own. */
async function legacyDatabase(provider: Provider, appMigration: boolean): Promise<string> {
  const history = [
    [randomUUID(), createHash('sha256').update(LEGACY_SQL[provider]).digest('hex'), LEGACY_INIT],
    ...(appMigration ? [[randomUUID(), 'c'.repeat(64), '20250101000000_app_users']] : []),
  ];
  const columns = LEGACY_COLUMNS;
  const values = LEGACY_ROWS.map((row) => Object.values(row));
  const placeholders = (n: number, pg: boolean) =>
    `(${Array.from({ length: n }, (_, i) => (pg ? `$${i + 1}` : '?')).join(', ')})`;
  if (provider === 'sqlite') {
    const url = `file:${join(dir, `legacy-${randomUUID()}.db`)}`;
    const db = new Database(url.slice('file:'.length));
    try {
      db.exec(LEGACY_SQL.sqlite);
      db.exec(PRISMA_HISTORY.sqlite);
      const record = db.prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name,
           applied_steps_count) VALUES (?, ?, CURRENT_TIMESTAMP, ?, 1)`,
      );
      for (const row of history) record.run(...row);
      const insert = db.prepare(
        `INSERT INTO task_executions (${columns}) VALUES ${placeholders(values[0]!.length, false)}`,
      );
      for (const row of values)
        insert.run(...row.map((v) => (typeof v === 'boolean' ? Number(v) : v)));
    } finally {
      db.close();
    }
    return url;
  }
  const database = await createTestDatabase();
  drops.push(() => database.drop());
  await withPgClient(database.url, async (client) => {
    await client.query(LEGACY_SQL.postgres);
    await client.query(PRISMA_HISTORY.postgres);
    for (const row of history) {
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name,
           applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
        row,
      );
    }
    for (const row of values) {
      await client.query(
        `INSERT INTO task_executions (${columns}) VALUES ${placeholders(row.length, true)}`,
        row,
      );
    }
    await client.query(`SELECT setval('task_executions_ready_seq', 4)`);
  });
  return database.url;
}

type Named = { migration_name: string };

function readSqlite(url: string, query: string): Named[] {
  const db = new Database(url.slice('file:'.length), { readonly: true });
  try {
    return db.prepare(query).all() as Named[];
  } finally {
    db.close();
  }
}

const readPostgres = (url: string, query: string) =>
  withPgClient(url, async (client) => (await client.query<Named>(query)).rows);

describe.each(['sqlite', 'postgres'] as const)('the old layout on %s', (provider) => {
  it('moves over with every execution readable and the active ones run to the end', async () => {
    const url = await legacyDatabase(provider, false);
    const storage = await createPrismaStorage({ url, logger: silentLogger });
    try {
      // The old table and Durably's history row are gone; Prisma's table went with them, as
      // nothing else was left in it (Durably had created it).
      const tables = await listTables(provider, url);
      expect(tables).not.toContain(
        provider === 'sqlite' ? 'task_executions' : 'public.task_executions',
      );
      expect(tables).not.toContain(
        provider === 'sqlite' ? '_prisma_migrations' : 'public._prisma_migrations',
      );

      const executor = new DurableExecutor(storage, {
        logger: silentLogger,
        backgroundProcessIntraBatchSleepMs: 25,
      });
      const leaf = executor.task({
        id: 'leg_leaf',
        timeoutMs: 5000,
        run: (_ctx, input: { n: number }) => input.n * 2,
      });
      executor.parentTask({
        id: 'leg_parent',
        timeoutMs: 5000,
        runParent: () => ({ output: 'x' }),
      });
      executor.parentTask({
        id: 'leg_parent2',
        timeoutMs: 5000,
        runParent: () => ({ output: 'x' }),
        finalizeTask: { id: 'leg_fin', timeoutMs: 5000, run: () => 'finalized' },
      });
      // Every execution reads back as it was stored.
      for (const row of LEGACY_ROWS) {
        const execution = await executor.getExecution(row.execution_id);
        expect(execution?.status, row.execution_id).toBe(row.status);
      }
      executor.start();
      const wait = async (id: string): Promise<FinishedTaskExecution<unknown>> => {
        const handle = await executor.getTaskHandle(
          { id: (await storage.getExecution(id))!.taskId },
          id,
        );
        return handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: 25 });
      };
      expect(await wait('l_ready')).toMatchObject({ status: 'completed', output: 2 });
      // The lost lease is recovered (an attempt of its own), then the run completes.
      expect(await wait('l_running')).toMatchObject({
        status: 'completed',
        output: 2,
        recoveryAttempts: 1,
      });
      expect(await wait('l_parent')).toMatchObject({
        status: 'completed',
        output: {
          output: 'ran',
          childrenTasksOutputs: [
            { index: 0, executionId: 'l_child0', output: 10 },
            { index: 1, executionId: 'l_child1', output: 2 },
          ],
        },
      });
      expect(await wait('l_fin_parent')).toMatchObject({
        status: 'completed',
        output: 'finalized',
      });
      expect(await wait('l_finalize_failed')).toMatchObject({
        status: 'finalize_task_failed',
        finalizeTaskError: { message: 'fin boom' },
      });
      // New work after the move: the ready order carries on.
      const fresh = await executor.enqueueTask(leaf, { n: 21 });
      expect(await fresh.waitAndGetTaskFinishedExecution()).toMatchObject({ output: 42 });
      const { byStatus } = await storage.getExecutionStats();
      expect(byStatus).toEqual({
        completed: 9,
        failed: 1,
        timed_out: 1,
        cancelled: 1,
        children_tasks_failed: 1,
        finalize_task_failed: 1,
      });
      await executor.shutdown({ timeoutMs: 1000 });
    } finally {
      await storage.close();
    }
  });

  it('takes only its own row out of a _prisma_migrations the app shares', async () => {
    const url = await legacyDatabase(provider, true);
    await (await createPrismaStorage({ url, logger: silentLogger })).close();
    const query = `SELECT migration_name FROM "_prisma_migrations"`;
    const names = provider === 'sqlite' ? readSqlite(url, query) : await readPostgres(url, query);
    expect(names.map((row) => row.migration_name)).toEqual(['20250101000000_app_users']);
    // Opening it again finds the new layout and changes nothing.
    const storage = await createPrismaStorage({ url, logger: silentLogger });
    expect((await storage.getExecutionStats()).byStatus.ready).toBe(3);
    await storage.close();
  });
});
