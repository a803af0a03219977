/** Test stores for the storage-level tests: a fresh SQLite file or PostgreSQL database each. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewExecutionRow } from '@/server/engine/storage';
import { createPrismaStorage } from '@/server/storage';
import type { PrismaStorage } from '@/server/storage';
import { createTestDatabase, withPgClient } from '@/test/helpers/postgres';
import type { TestDatabase } from '@/test/helpers/postgres';

export const silentLogger = {
  debug: (): void => undefined,
  info: (): void => undefined,
  error: (): void => undefined,
};

export interface StorageFixture {
  /** A new, empty store (a new file, or the file's database truncated). */
  open(): Promise<PrismaStorage>;
  /** Another store on the same database (another connection / pool), for concurrency. */
  openSibling(): Promise<PrismaStorage>;
  /** The URL of the current database. */
  url(): string;
  /** Closes every store opened and removes the database. */
  dispose(): Promise<void>;
}

export function sqliteFixture(): StorageFixture {
  const dir = mkdtempSync(join(tmpdir(), 'durably-sqlite-'));
  const stores: PrismaStorage[] = [];
  let url = '';
  let count = 0;
  const openAt = async (target: string) => {
    const storage = await createPrismaStorage({ url: target, logger: silentLogger });
    stores.push(storage);
    return storage;
  };
  return {
    open: () => {
      url = `file:${join(dir, `store-${(count += 1)}.db`)}`;
      return openAt(url);
    },
    openSibling: () => openAt(url),
    url: () => url,
    dispose: async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresFixture(): StorageFixture {
  let database: TestDatabase | undefined;
  const stores: PrismaStorage[] = [];
  const openStore = async () => {
    database ??= await createTestDatabase();
    const storage = await createPrismaStorage({ url: database.url, logger: silentLogger });
    stores.push(storage);
    return storage;
  };
  return {
    open: async () => {
      const storage = await openStore();
      await withPgClient(database!.url, (client) =>
        client.query(
          'TRUNCATE durably.task_executions, durably.sleeping_wakeups, durably.maintenance_leases',
        ),
      );
      return storage;
    },
    openSibling: openStore,
    url: () => {
      if (!database) throw new Error('open() first');
      return database.url;
    },
    dispose: async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await database?.drop();
    },
  };
}

export const T0 = 1_700_000_000_000;

/** A new root (or, with `parent`, child) row with sensible defaults. */
export function newRow(
  executionId: string,
  taskId: string,
  options: Partial<NewExecutionRow> & {
    parent?: { taskId: string; executionId: string; index: number };
  } = {},
): NewExecutionRow {
  const { parent, ...overrides } = options;
  return {
    executionId,
    taskId,
    runInput: JSON.stringify({ id: executionId }),
    retryOptions: { maxAttempts: 0, baseDelayMs: 0, delayMultiplier: 1, maxDelayMs: null },
    sleepMsBeforeRun: 0,
    timeoutMs: 1000,
    startAt: T0,
    createdAt: T0,
    owner: null,
    rootTaskId: parent ? parent.taskId : null,
    rootExecutionId: parent ? parent.executionId : null,
    parentTaskId: parent ? parent.taskId : null,
    parentExecutionId: parent ? parent.executionId : null,
    indexInParent: parent ? parent.index : 0,
    isFinalizeTask: false,
    onChildFailure: 'failParent',
    priority: 0,
    concurrencyKey: null,
    rateKey: null,
    idempotencyKey: null,
    idempotencyExpiresAt: null,
    ...overrides,
  };
}

/** Resolves once `predicate` holds, checking every 10 ms; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
