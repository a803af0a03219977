/**
 * Durably inside the app's own database, on a SQLite file and a PostgreSQL database: the app's
 * schema and migrations (test/app, recorded in Prisma's `_prisma_migrations`) and Durably's
 * live side by side without either seeing the other's tables, and an enqueue made in the
 * app's own Prisma transaction exists if and only if that transaction commits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DurableExecutionError, DurableExecutor, DurableOptionsError } from '@/server/engine';
import { createPrismaStorage, type PrismaStorage } from '@/server/storage';
import {
  appMigrationNames,
  applyAppMigrations,
  listTables,
  openAppClient,
  readPrismaHistory,
  type AppClient,
  type Provider,
} from '@/test/app/appDatabase';
import { createTestDatabase } from '@/test/helpers/postgres';
import { silentLogger } from './fixtures';
import { createClient, WorkerPool } from './processes/harness';
import { defineWorkload } from './processes/tasks';

const dir = mkdtempSync(join(tmpdir(), 'durably-app-'));
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops.splice(0)) await drop();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
async function newDatabase(provider: Provider): Promise<string> {
  if (provider === 'sqlite') return `file:${join(dir, `app-${(files += 1)}.db`)}`;
  const database = await createTestDatabase();
  drops.push(() => database.drop());
  return database.url;
}

/** Everything opened by a test, closed after it. */
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

function track<T extends { close(): Promise<void> }>(resource: T): T {
  open.push(resource);
  return resource;
}

async function openStorage(url: string): Promise<PrismaStorage> {
  return track(await createPrismaStorage({ url, logger: silentLogger }));
}

function openApp(provider: Provider, url: string): AppClient {
  const app = openAppClient(provider, url);
  track({ close: () => app.$disconnect() });
  return app;
}

/**
 * An executor that is never woken by polling: its backstop and wait polls are a minute, so
 * whatever it does within a test's time was pushed to it (an in-process event, NOTIFY, or
 * SQLite's change feed).
 */
function pushOnlyExecutor(storage: PrismaStorage): DurableExecutor {
  const executor = new DurableExecutor(storage, {
    logger: silentLogger,
    backgroundProcessIntraBatchSleepMs: 60_000,
    waitPollingIntervalMs: 60_000,
  });
  track({ close: () => executor.shutdown({ timeoutMs: 1000 }) });
  return executor;
}

class Rollback extends Error {}

describe.each(['sqlite', 'postgres'] as const)('Durably in the app database: %s', (provider) => {
  it("migrates next to the app's own schema, touching none of its tables", async () => {
    const url = await newDatabase(provider);
    await applyAppMigrations(provider, url);
    const app = openApp(provider, url);
    await app.appTask.create({ data: { id: 'a1', title: "the app's own task_executions" } });
    const historyBefore = await readPrismaHistory(provider, url);
    const appTables = await listTables(provider, url);

    const storage = await openStorage(url);
    const executor = pushOnlyExecutor(storage);
    const { leaf } = defineWorkload(executor, () => undefined);
    executor.start();

    // Prisma's history is exactly as the app left it; the app's tables are unchanged.
    expect(await readPrismaHistory(provider, url)).toEqual(historyBefore);
    expect(historyBefore).toHaveLength(appMigrationNames(provider).length);
    expect(await app.appTask.findMany()).toEqual([
      { id: 'a1', title: "the app's own task_executions" },
    ]);
    // Durably's tables are all in its namespace: a prefix on SQLite, a schema on PostgreSQL.
    const durablyTables = (await listTables(provider, url)).filter((t) => !appTables.includes(t));
    expect(durablyTables.sort()).toEqual(
      provider === 'sqlite'
        ? [
            'durably_executors',
            'durably_idempotency_keys',
            'durably_maintenance_leases',
            'durably_migrations',
            'durably_rate_limit_starts',
            'durably_sleeping_wakeups',
            'durably_task_executions',
          ]
        : [
            'durably.executors',
            'durably.idempotency_keys',
            'durably.maintenance_leases',
            'durably.migrations',
            'durably.rate_limit_starts',
            'durably.sleeping_wakeups',
            'durably.task_executions',
          ],
    );
    if (provider === 'postgres') {
      expect(appTables.every((table) => table.startsWith('public.'))).toBe(true);
    } else {
      // The README's external-tables list for the app's prisma.config.ts names them all.
      const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
      const listed = /external: \[([^\]]*)\]/.exec(readme)?.[1] ?? '';
      expect([...listed.matchAll(/'(\w+)'/g)].map((m) => m[1]).sort()).toEqual(durablyTables);
    }

    // Both run: the app writes through Prisma, Durably runs a task.
    await app.user.create({ data: { id: 'u1', email: 'ada@example.com', name: 'Ada' } });
    const handle = await executor.enqueueTask(leaf, { n: 7, sleepMs: 0 });
    const finished = await handle.waitAndGetTaskFinishedExecution();
    expect(finished.status).toBe('completed');
    expect(await app.user.count()).toBe(1);
  });

  it('lets the app migrate after Durably, and Durably start again after the app', async () => {
    const url = await newDatabase(provider);
    await (await createPrismaStorage({ url, logger: silentLogger })).close();
    await applyAppMigrations(provider, url);
    const storage = await openStorage(url);
    expect(await storage.listExecutions({ limit: 10 })).toEqual([]);
    expect(await readPrismaHistory(provider, url)).toHaveLength(appMigrationNames(provider).length);
  });

  describe("enqueue in the app's transaction", () => {
    /** `start`: whether this process's executor runs tasks (not when another process must). */
    async function setUp({ start = true } = {}) {
      const url = await newDatabase(provider);
      await applyAppMigrations(provider, url);
      const storage = await openStorage(url);
      const app = openApp(provider, url);
      const executor = pushOnlyExecutor(storage);
      const runs: number[] = [];
      const { leaf } = defineWorkload(executor, (record) => {
        if (record.event === 'start') runs.push(record.attempt);
      });
      const inputs: number[] = [];
      const welcome = executor.task({
        id: 'app_welcome',
        timeoutMs: 5000,
        run: (_ctx, input: { userId: string }) => {
          inputs.push(Number(input.userId.slice(1)));
          return `welcome ${input.userId}`;
        },
      });
      if (start) executor.start();
      return { url, storage, app, executor, leaf, welcome, runs, inputs };
    }

    it('stores nothing and runs nothing when the app rolls back', async () => {
      const { storage, app, executor, welcome, inputs } = await setUp();
      await expect(
        app.$transaction(async (tx) => {
          await tx.user.create({ data: { id: 'u1', email: 'a@example.com', name: 'Ada' } });
          await executor.enqueueTask(welcome, { userId: 'u1' }, { tx });
          await executor.enqueueTasks(welcome, [{ userId: 'u2' }, { userId: 'u3' }], { tx });
          throw new Rollback('the app changed its mind');
        }),
      ).rejects.toThrow(Rollback);
      expect(await app.user.count()).toBe(0);
      expect(await storage.listExecutions({ limit: 10 })).toEqual([]);
      // Had the rolled-back enqueues been stored, the executor would have run them first.
      const later = await executor.enqueueTask(welcome, { userId: 'u9' });
      expect((await later.waitAndGetTaskFinishedExecution()).status).toBe('completed');
      expect(inputs).toEqual([9]);
    });

    it('runs what the app commits, woken by the commit', async () => {
      const { storage, app, executor, welcome, inputs } = await setUp();
      const [one, many] = await app.$transaction(async (tx) => {
        await tx.user.create({ data: { id: 'u1', email: 'a@example.com', name: 'Ada' } });
        const single = await executor.enqueueTask(welcome, { userId: 'u1' }, { tx });
        const bulk = await executor.enqueueTasks(welcome, [{ userId: 'u2' }, { userId: 'u3' }], {
          tx,
        });
        // Visible inside the app's transaction, not outside it before the commit.
        expect(await storage.getExecution(single.getTaskExecutionId())).toBeNull();
        return [single, bulk] as const;
      });
      const finished = await Promise.all(
        [one, ...many].map((handle) => handle.waitAndGetTaskFinishedExecution()),
      );
      expect(finished.map((execution) => execution.output)).toEqual([
        'welcome u1',
        'welcome u2',
        'welcome u3',
      ]);
      expect(inputs.sort()).toEqual([1, 2, 3]);
      expect(await app.user.count()).toBe(1);
    });

    it('takes an idempotency key in the app transaction, and gives it back on rollback', async () => {
      const { storage, app, executor, welcome } = await setUp({ start: false });
      await expect(
        app.$transaction(async (tx) => {
          const handle = await executor.enqueueTask(
            welcome,
            { userId: 'u1' },
            { tx, idempotencyKey: 'signup-1' },
          );
          expect(handle.created).toBe(true);
          throw new Rollback('no');
        }),
      ).rejects.toThrow(Rollback);
      const [first, duplicate] = await app.$transaction(async (tx) => [
        await executor.enqueueTask(welcome, { userId: 'u1' }, { tx, idempotencyKey: 'signup-1' }),
        await executor.enqueueTask(welcome, { userId: 'u2' }, { tx, idempotencyKey: 'signup-1' }),
      ]);
      // The rolled-back key was free again; within one transaction the second sees the first.
      expect(first.created).toBe(true);
      expect(duplicate.created).toBe(false);
      expect(duplicate.getTaskExecutionId()).toBe(first.getTaskExecutionId());
      const again = await executor.enqueueTask(
        welcome,
        { userId: 'u3' },
        { idempotencyKey: 'signup-1' },
      );
      expect(again.getTaskExecutionId()).toBe(first.getTaskExecutionId());
      expect(await storage.listExecutions({ limit: 10 })).toHaveLength(1);
    });

    it('refuses bad input before writing anything, leaving the transaction usable', async () => {
      const { storage, app, executor, welcome } = await setUp();
      const checked = executor.inputSchema({
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (value: unknown) =>
            typeof value === 'string' ? { value } : { issues: [{ message: 'not a string' }] },
        },
      });
      const named = checked.task({ id: 'app_named', timeoutMs: 1000, run: (_c, s) => s });
      await app.$transaction(async (tx) => {
        await tx.user.create({ data: { id: 'u1', email: 'a@example.com', name: 'Ada' } });
        await expect(executor.enqueueTasks(named, ['fine', 42], { tx })).rejects.toThrow(
          /Invalid input to task app_named: not a string/,
        );
        await expect(
          executor.enqueueTask(welcome, { userId: 'u1' }, { tx, timeoutMs: -1 }),
        ).rejects.toThrow(DurableExecutionError);
      });
      expect(await app.user.count()).toBe(1);
      expect(await storage.listExecutions({ limit: 10 })).toEqual([]);
    });

    it('says what is wrong with a tx that is not a transaction of this database', async () => {
      const { executor, welcome, app } = await setUp();
      await expect(executor.enqueueTask(welcome, { userId: 'u1' }, { tx: app })).rejects.toThrow(
        /this is a PrismaClient, not a transaction/,
      );
      await expect(
        executor.enqueueTask(welcome, { userId: 'u1' }, { tx: {} as never }),
      ).rejects.toThrow(DurableOptionsError);
      // An app database without Durably's tables.
      const elsewhere = await newDatabase(provider);
      await applyAppMigrations(provider, elsewhere);
      const other = openApp(provider, elsewhere);
      await expect(
        other.$transaction((tx) => executor.enqueueTask(welcome, { userId: 'u1' }, { tx })),
      ).rejects.toThrow(/Enqueue in the app's transaction failed: .*must be on Durably's database/);
    });

    it('wakes an executor in another process at the commit', { timeout: 60_000 }, async () => {
      const { url, storage, app } = await setUp({ start: false });
      // The worker polls once a minute: only the commit's announcement can wake it in time.
      const pool = new WorkerPool(url, { POLL_MS: '60000' });
      try {
        await pool.start('elsewhere');
        const { executor, tasks } = createClient(storage);
        const handle = await app.$transaction((tx) =>
          executor.enqueueTask(tasks.leaf, { n: 1, sleepMs: 0 }, { tx }),
        );
        const finished = await handle.waitAndGetTaskFinishedExecution({
          pollingIntervalMs: 60_000,
        });
        expect(finished.status).toBe('completed');
        expect(pool.records().map((record) => record.worker)).toContain('elsewhere');
      } finally {
        await pool.dispose();
      }
    });

    it('keeps the app write and the enqueue of a commit through a kill -9', async () => {
      const { url, storage, app, executor, runs } = await setUp();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(process.cwd(), 'test/app/enqueueAndDie.ts'), provider, url, 'u7'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, killedBy) => resolve(killedBy)),
      );
      expect(signal, stderr).toBe('SIGKILL');
      const executionId = /committed (\S+)/.exec(stdout)?.[1];
      expect(executionId, stdout + stderr).toBeDefined();
      expect(await app.user.findUnique({ where: { id: 'u7' } })).toMatchObject({ name: 'Ada' });
      expect((await storage.getExecution(executionId!))?.taskId).toBe('mp_leaf');
      // The surviving execution runs here once this executor hears of it (poll or push).
      const handle = await executor.getTaskHandle({ id: 'mp_leaf' }, executionId!);
      const finished = await handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: 50 });
      expect(finished.status).toBe('completed');
      expect(runs).toEqual([0]);
    });
  });
});
