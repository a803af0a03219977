/**
 * Storage-level behaviour of a Prisma store: the same answers as the in-memory reference,
 * exclusive claims under concurrency, fencing of stale results, whole-tree retention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionListQuery, ExecutionRow } from '@/server/engine/storage';
import type { PrismaStorage } from '@/server/storage';
import { runDifferentialScenario } from './differential';
import { newRow, T0 } from './fixtures';
import type { StorageFixture } from './fixtures';

export function describeStorage(name: string, createFixture: () => StorageFixture): void {
  describe(`storage: ${name}`, () => {
    let fixture: StorageFixture;
    beforeAll(() => {
      fixture = createFixture();
    });
    afterAll(() => fixture.dispose());

    it('answers every operation like the in-memory reference', async () => {
      await runDifferentialScenario(await fixture.open());
    });

    it('never hands one execution to two concurrent claims', async () => {
      const storage = await fixture.open();
      const rows = Array.from({ length: 500 }, (_, i) => newRow(`e${i}`, i % 2 ? 'a' : 'b'));
      await storage.insertExecutions(rows);
      const stores = [storage, ...(await Promise.all([1, 2, 3].map(() => fixture.openSibling())))];
      const claimers = Array.from({ length: 8 }, async (_, i) => {
        const store = stores[i % stores.length]!;
        const claimed: string[] = [];
        for (;;) {
          const batch = await store.claimReadyExecutions({
            taskIds: ['a', 'b'],
            limit: 17,
            now: T0,
            expireMs: 1000,
          });
          if (batch.length === 0) return claimed;
          claimed.push(...batch.map((row) => row.executionId));
        }
      });
      const claimed = (await Promise.all(claimers)).flat();
      expect(claimed).toHaveLength(500);
      expect(new Set(claimed).size).toBe(500);
    });

    it('never lets concurrent claims overshoot a concurrency or rate limit', async () => {
      const storage = await fixture.open();
      const rows = Array.from({ length: 60 }, (_, i) =>
        newRow(`l${i}`, i % 2 ? 'lim' : 'rate', {
          concurrencyKey: i % 2 ? 'k' : null,
          rateKey: i % 2 ? null : 'r',
        }),
      );
      await storage.insertExecutions(rows);
      const stores = [storage, ...(await Promise.all([1, 2, 3].map(() => fixture.openSibling())))];
      const flowLimits = [
        { taskId: 'lim', concurrencyLimit: 3, rateLimit: null },
        { taskId: 'rate', concurrencyLimit: null, rateLimit: { limit: 4, periodMs: 60_000 } },
      ];
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          stores[i % stores.length]!.claimReadyExecutions({
            taskIds: ['lim', 'rate'],
            flowLimits,
            limit: 10,
            now: T0,
            expireMs: 60_000,
          }),
        ),
      );
      const claimed = claims.flat();
      expect(claimed.filter((row) => row.taskId === 'lim')).toHaveLength(3);
      expect(claimed.filter((row) => row.taskId === 'rate')).toHaveLength(4);
    });

    it('claims oldest startAt first, FIFO among equal startAt', async () => {
      const storage = await fixture.open();
      await storage.insertExecutions([newRow('x1', 'a', { startAt: T0 + 2 })]);
      await storage.insertExecutions([newRow('x2', 'a'), newRow('x3', 'a')]);
      await storage.insertExecutions([newRow('x0', 'a')]);
      const claimed = await storage.claimReadyExecutions({
        taskIds: ['a'],
        limit: 10,
        now: T0 + 5,
        expireMs: 0,
      });
      expect(claimed.map((row) => row.executionId)).toEqual(['x2', 'x3', 'x0', 'x1']);
    });

    it('drops a result carrying a stale lease token', async () => {
      const storage = await fixture.open();
      await storage.insertExecutions([newRow('s1', 'a')]);
      const request = { taskIds: ['a'], limit: 1, now: T0, expireMs: 0 };
      const [first] = await storage.claimReadyExecutions(request);
      const lost = { errorType: 'generic', message: 'lost', isRetryable: true } as const;
      await storage.recoverExpiredLeases({
        now: T0 + 5000,
        maxRecoveryAttempts: 3,
        error: lost,
        limit: 10,
      });
      const [second] = await storage.claimReadyExecutions({ ...request, now: T0 + 5000 });
      expect(second!.leaseToken).toBe(first!.leaseToken + 1);
      const completed = { kind: 'completed', output: '1', runOutput: null } as const;
      expect(
        await storage.applyRunResults(
          [{ executionId: 's1', leaseToken: first!.leaseToken, outcome: completed }],
          T0 + 5001,
        ),
      ).toEqual([null]);
      expect((await storage.getExecution('s1'))?.status).toBe('running');
      expect(
        await storage.applyRunResults(
          [{ executionId: 's1', leaseToken: second!.leaseToken, outcome: completed }],
          T0 + 5002,
        ),
      ).toMatchObject([
        { executionId: 's1', status: 'completed', output: '1', finishedAt: T0 + 5002 },
      ]);
      expect(await storage.getExecution('s1')).toMatchObject({
        status: 'completed',
        recoveryAttempts: 1,
        output: '1',
        closeStatus: 'closed',
      });
    });

    it('counts children closed concurrently exactly, reporting the parent ready once', async () => {
      const storage = await fixture.open();
      const stores = [storage, ...(await Promise.all([1, 2, 3].map(() => fixture.openSibling())))];
      const children = await runningChildren(storage, 'cp', 120);
      await storage.applyRunResults(
        children.map(({ executionId, leaseToken }) => ({
          executionId,
          leaseToken,
          outcome: { kind: 'completed', output: '1', runOutput: null },
        })),
        T0 + 3,
      );
      // Four stores close batches of 30 at once: counts stay exact, the parent is reported once.
      const batches = [0, 1, 2, 3].map((i) =>
        children.slice(i * 30, i * 30 + 30).map(({ executionId }) => executionId),
      );
      const results = (
        await Promise.all(batches.map((ids, i) => stores[i]!.closeExecutions(ids, T0 + 4)))
      ).flat();
      expect(results).toHaveLength(120);
      expect(results.filter((r) => r.parentReadyToAdvanceExecutionId === 'cp')).toHaveLength(1);
      expect(await storage.getExecution('cp')).toMatchObject({
        status: 'waiting_for_children_tasks',
        finishedChildrenCount: 120,
      });
      expect(await storage.listParentsReadyToAdvance(10)).toEqual(['cp']);
    });

    it('keeps a tree consistent when children close while their parent is cancelled', async () => {
      const storage = await fixture.open();
      const stores = [storage, ...(await Promise.all([1, 2, 3].map(() => fixture.openSibling())))];
      const children = await runningChildren(storage, 'xp', 60);
      const failed = { errorType: 'generic', message: 'x', isRetryable: false } as const;
      // 20 complete, 20 fail, 20 keep running.
      await storage.applyRunResults(
        children.slice(0, 40).map(({ executionId, leaseToken }, i) => ({
          executionId,
          leaseToken,
          outcome:
            i < 20
              ? { kind: 'completed', output: '1', runOutput: null }
              : { kind: 'finished_with_error', status: 'failed', error: failed },
        })),
        T0 + 3,
      );
      await Promise.all([
        ...children
          .slice(0, 40)
          .map(({ executionId }, i) => stores[i % 4]!.closeExecutions([executionId], T0 + 4)),
        stores[1]!.cancelExecution('xp', failed, T0 + 4),
      ]);
      for (let ids = await storage.listExecutionsToClose(100); ids.length > 0;) {
        await storage.closeExecutions(ids, T0 + 5);
        ids = await storage.listExecutionsToClose(100);
      }
      const rows = await storage.listExecutions({ limit: 1000 });
      expect(rows.filter((row) => row.finishedAt === null)).toEqual([]);
      expect(rows.filter((row) => row.closeStatus === 'ready')).toEqual([]);
      const parent = rows.find((row) => row.executionId === 'xp')!;
      expect(parent.finishedChildrenCount).toBe(40);
      expect(['cancelled', 'children_tasks_failed']).toContain(parent.status);
      if (parent.status === 'children_tasks_failed') {
        expect(parent.childrenTasksErrors?.map((e) => e.index)).toEqual(
          Array.from({ length: 20 }, (_, i) => 20 + i),
        );
      }
      const stillRunning = new Set(children.slice(40).map((child) => child.executionId));
      expect(
        rows.filter((row) => stillRunning.has(row.executionId)).map((row) => row.status),
      ).toEqual(Array.from({ length: 20 }, () => 'cancelled'));
    });

    it('pages through 10,000 executions, ties on createdAt included, losing and repeating none', async () => {
      const storage = await fixture.open();
      const count = 10_000;
      const id = (i: number) => `p${String(i).padStart(5, '0')}`;
      for (let from = 0; from < count; from += 1000) {
        await storage.insertExecutions(
          Array.from({ length: 1000 }, (_, k) => {
            const i = from + k;
            // Seven executions share each createdAt: the cursor must break ties by id.
            return newRow(id(i), i % 2 === 0 ? 'x' : 'y', { createdAt: T0 + Math.floor(i / 7) });
          }),
        );
      }
      const pageThrough = async (query: Omit<ExecutionListQuery, 'limit' | 'cursor'>) => {
        const seen: ExecutionRow[] = [];
        for (let cursor: ExecutionListQuery['cursor']; ;) {
          const page = await storage.listExecutions({ ...query, limit: 250, cursor });
          seen.push(...page);
          const last = page.at(-1);
          if (page.length < 250 || !last) return seen;
          cursor = { createdAt: last.createdAt, executionId: last.executionId };
        }
      };
      const newestFirst = (rows: ExecutionRow[]) =>
        [...rows].sort((a, b) =>
          a.createdAt !== b.createdAt
            ? b.createdAt - a.createdAt
            : a.executionId < b.executionId
              ? 1
              : -1,
        );

      const all = await pageThrough({});
      expect(all).toHaveLength(count);
      expect(new Set(all.map((row) => row.executionId)).size).toBe(count);
      expect(all.map((row) => row.executionId)).toEqual(
        newestFirst(all).map((row) => row.executionId),
      );
      const xs = await pageThrough({ taskId: 'x' });
      expect(xs).toHaveLength(count / 2);
      expect(xs.every((row) => row.taskId === 'x')).toBe(true);
      const prefixed = await pageThrough({ executionIdPrefix: 'p012' });
      expect(prefixed.map((row) => row.executionId).sort()).toEqual(
        Array.from({ length: 100 }, (_, k) => id(1200 + k)),
      );
      const stats = await storage.getExecutionStats();
      expect(stats.byStatus).toEqual({ ready: count });
      expect(stats.byTask).toEqual(
        expect.arrayContaining([
          { taskId: 'x', status: 'ready', count: count / 2 },
          { taskId: 'y', status: 'ready', count: count / 2 },
        ]),
      );
    }, 60_000);

    it('prunes whole finished trees only', async () => {
      const storage = await fixture.open();
      await pruneScenario(storage);
    });
  });
}

async function pruneScenario(storage: PrismaStorage): Promise<void> {
  const child = (id: string, parent: string, index: number) =>
    newRow(id, 'c', { parent: { taskId: 'p', executionId: parent, index } });
  await storage.insertExecutions([newRow('old', 'a'), newRow('tree', 'p'), newRow('busy', 'p')]);
  await storage.insertExecutions([newRow('new', 'a', { startAt: T0 + 10_000 })]);
  const claim = (taskIds: string[], now: number) =>
    storage.claimReadyExecutions({ taskIds, limit: 10, now, expireMs: 1000 });
  const running = await claim(['a', 'p'], T0);
  const token = (id: string) => running.find((row) => row.executionId === id)!.leaseToken;
  await storage.applyRunResults(
    [
      {
        executionId: 'old',
        leaseToken: token('old'),
        outcome: { kind: 'completed', output: '1', runOutput: null },
      },
      {
        executionId: 'tree',
        leaseToken: token('tree'),
        outcome: {
          kind: 'waiting_for_children',
          runOutput: '1',
          children: [child('t0', 'tree', 0)],
        },
      },
      {
        executionId: 'busy',
        leaseToken: token('busy'),
        outcome: {
          kind: 'waiting_for_children',
          runOutput: '1',
          children: [child('b0', 'busy', 0)],
        },
      },
    ],
    T0 + 1,
  );
  // `tree` fails through its child (so its child finished), `busy` is cancelled while its
  // child is still running: until `busy` is closed, its tree has a pending follow-up.
  const [t0, b0] = await claim(['c'], T0 + 2);
  const failed = { errorType: 'generic', message: 'x', isRetryable: false } as const;
  await storage.applyRunResults(
    [
      {
        executionId: t0!.executionId,
        leaseToken: t0!.leaseToken,
        outcome: { kind: 'finished_with_error', status: 'failed', error: failed },
      },
    ],
    T0 + 3,
  );
  await storage.closeExecutions(['t0'], T0 + 4);
  await storage.closeExecutions(['tree'], T0 + 4);
  await storage.cancelExecution('busy', failed, T0 + 5);
  expect(b0!.executionId).toBe('b0');

  const olderThan = new Date(T0 + 100);
  expect(await storage.pruneFinishedExecutions({ olderThan })).toBe(3); // old, tree, t0
  expect(await storage.getExecution('old')).toBeNull();
  expect(await storage.getExecution('t0')).toBeNull();
  expect(await storage.getExecution('busy')).not.toBeNull();
  await storage.closeExecutions(['busy'], T0 + 6);
  expect(await storage.pruneFinishedExecutions({ olderThan: new Date(T0 + 1) })).toBe(0);
  expect(await storage.pruneFinishedExecutions({ olderThan, batchSize: 1 })).toBe(2);
  expect(await storage.getExecution('new')).not.toBeNull();
}

/** A running parent `id` with `count` children, all claimed (running). */
async function runningChildren(storage: PrismaStorage, id: string, count: number) {
  await storage.insertExecutions([newRow(id, 'p')]);
  const [parent] = await storage.claimReadyExecutions({
    taskIds: ['p'],
    limit: 1,
    now: T0,
    expireMs: 60_000,
  });
  const children = Array.from({ length: count }, (_, index) =>
    newRow(`${id}_${index}`, 'c', { parent: { taskId: 'p', executionId: id, index } }),
  );
  await storage.applyRunResults(
    [
      {
        executionId: id,
        leaseToken: parent!.leaseToken,
        outcome: { kind: 'waiting_for_children', runOutput: '1', children },
      },
    ],
    T0 + 1,
  );
  const claimed = await storage.claimReadyExecutions({
    taskIds: ['c'],
    limit: count,
    now: T0 + 2,
    expireMs: 60_000,
  });
  return claimed.sort((a, b) => a.indexInParent - b.indexInParent);
}
