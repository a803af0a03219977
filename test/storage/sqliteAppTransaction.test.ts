/**
 * SQLite, one process, two connections to one file: the app's Prisma client and Durably's
 * store. better-sqlite3 waits for the file's write lock synchronously, blocking the event loop,
 * so a design that waits long for the lock, or holds it across an event-loop turn, deadlocks
 * the two until a busy timeout. Here the executor is kept busy while the app's transactions
 * are open; each must commit, and the event loop must keep turning throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableExecutor } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';
import { applyAppMigrations, openAppClient } from '@/test/app/appDatabase';
import { silentLogger, until } from './fixtures';

const dir = mkdtempSync(join(tmpdir(), 'durably-app-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The longest the event loop went without running a 5 ms interval, while watching. */
function watchEventLoop() {
  let last = performance.now();
  let longestGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    ticks += 1;
  }, 5);
  return {
    ticks: () => ticks,
    stop: () => {
      clearInterval(timer);
      return longestGapMs;
    },
  };
}

async function setUp(name: string) {
  const url = `file:${join(dir, `${name}.db`)}`;
  await applyAppMigrations('sqlite', url);
  const storage = await createPrismaStorage({ url, logger: silentLogger });
  const executor = new DurableExecutor(storage, { logger: silentLogger });
  const leaf = executor.task({ id: 'lock_leaf', timeoutMs: 5000, run: (_c, n: number) => n });
  const fanOut = executor.parentTask({
    id: 'lock_fan_out',
    timeoutMs: 5000,
    runParent: (_c, n: number) => ({
      output: n,
      childrenTasks: Array.from({ length: 20 }, (_, i) => ({ task: leaf, input: i })),
    }),
  });
  // The app's own client, with Prisma's default busy timeout on its connection.
  const app = openAppClient('sqlite', url);
  const close = async () => {
    await executor.shutdown({ timeoutMs: 1000 });
    await storage.close();
    await app.$disconnect();
  };
  return { storage, executor, leaf, fanOut, app, close };
}

describe('SQLite: the app transaction and the executor in one process', () => {
  it('an executor write waits without blocking while the app holds the lock', async () => {
    const { storage, executor, leaf, fanOut, app, close } = await setUp('app-holds');
    try {
      executor.start();
      const busy = await Promise.all(
        Array.from({ length: 30 }, (_, n) => executor.enqueueTask(fanOut, n)),
      );
      const loop = watchEventLoop();
      let blockedEnqueue: ReturnType<typeof executor.enqueueTask<typeof leaf>> | undefined;
      const inTransaction = await app.$transaction(async (tx) => {
        // The app's first write takes the file's write lock until its COMMIT.
        await tx.user.create({ data: { id: 'u1', email: 'a@example.com', name: 'Ada' } });
        const handle = await executor.enqueueTask(leaf, 1, { tx });
        // A write on Durably's own connection now has to wait for the app's commit...
        blockedEnqueue = executor.enqueueTask(leaf, 2);
        // ...and it must wait without stopping the event loop, or this never gets to run.
        const from = loop.ticks();
        await until(() => loop.ticks() >= from + 40);
        await tx.user.create({ data: { id: 'u2', email: 'b@example.com', name: 'Grace' } });
        return handle;
      });
      const blocked = await blockedEnqueue!;
      const finished = await Promise.all(
        [...busy, inTransaction, blocked].map((handle) => handle.waitAndGetTaskFinishedExecution()),
      );
      expect(finished.every((execution) => execution.status === 'completed')).toBe(true);
      // A synchronous wait for the lock would have stopped the loop for the busy timeout.
      expect(loop.stop()).toBeLessThan(1000);
      expect(await app.user.count()).toBe(2);
      const { byStatus } = await storage.getExecutionStats();
      expect(byStatus.completed).toBe(30 * 21 + 2);
    } finally {
      await close();
    }
  });

  it("the app's transactions commit while the executor closes trees", async () => {
    const { storage, executor, fanOut, app, close } = await setUp('executor-busy');
    try {
      executor.start();
      const loop = watchEventLoop();
      const busy = Array.from({ length: 40 }, (_, n) => executor.enqueueTask(fanOut, n));
      // Each app transaction reads, writes and writes again across event-loop turns: were
      // Durably to hold the lock across a turn, the app's write would block the loop on it.
      const appWrites = Array.from({ length: 40 }, (_, i) =>
        app.$transaction(async (tx) => {
          await tx.user.count();
          await tx.user.create({ data: { id: `a${i}`, email: `a${i}@example.com`, name: 'A' } });
          await tx.appTask.create({ data: { id: `t${i}`, title: 'mine' } });
        }),
      );
      await Promise.all(appWrites);
      const handles = await Promise.all(busy);
      await Promise.all(handles.map((handle) => handle.waitAndGetTaskFinishedExecution()));
      expect(loop.stop()).toBeLessThan(1000);
      expect(await app.user.count()).toBe(40);
      expect((await storage.getExecutionStats()).byStatus.completed).toBe(40 * 21);
    } finally {
      await close();
    }
  });
});
