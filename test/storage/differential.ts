/**
 * Runs one sequence of storage operations on the in-memory reference and on a store under
 * test, comparing every result and, after each step, every stored row.
 */
import { expect } from 'vitest';
import { createInMemoryStorage } from '@/server/engine';
import type {
  DurableStorage,
  DurableStorageQueries,
  ExecutionRow,
  RunResult,
} from '@/server/engine/storage';
import type { PrismaStorage } from '@/server/storage';
import { newRow, T0 } from './fixtures';

type Store = DurableStorage & DurableStorageQueries;

const EXECUTOR_LOST = {
  errorType: 'generic',
  message: 'Executor lost',
  isRetryable: true,
} as const;
const FAILED = { errorType: 'generic', message: 'boom', isRetryable: false } as const;

/** Sorts id lists whose order the interface leaves open. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return [...value].sort();
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  }
  return value;
}

async function allRows(store: Store): Promise<ExecutionRow[]> {
  const rows = await store.listExecutions({ limit: 100_000 });
  return rows.sort((a, b) => (a.executionId < b.executionId ? -1 : 1));
}

export async function runDifferentialScenario(actual: PrismaStorage): Promise<void> {
  const reference = createInMemoryStorage();
  let step = '';
  const both = async <T>(name: string, op: (store: Store) => Promise<T>): Promise<T> => {
    step = name;
    const expected = await op(reference);
    const got = await op(actual);
    expect(normalize(got), `result of ${step}`).toEqual(normalize(expected));
    expect(await allRows(actual), `rows after ${step}`).toEqual(await allRows(reference));
    return expected;
  };
  const token = async (id: string) => (await reference.getExecution(id))!.leaseToken;
  const result = async (id: string, outcome: RunResult['outcome']): Promise<RunResult> => ({
    executionId: id,
    leaseToken: await token(id),
    outcome,
  });
  const closeAll = async (now: number) => {
    for (let round = 0; round < 5; round += 1) {
      const ids = (await both('list to close', (s) => s.listExecutionsToClose(100))).sort();
      if (ids.length === 0) return;
      await both(`close ${ids.join(',')}`, (s) => s.closeExecutions(ids, now));
    }
  };
  const claim = (taskIds: string[], limit: number, now: number, expireMs = 1000) =>
    both(`claim ${taskIds.join(',')}`, (s) =>
      s.claimReadyExecutions({ taskIds, limit, now, expireMs }),
    );

  // Roots, due in a known order (r4 earliest, r1 / r2 tied and FIFO, r3 later).
  await both('insert roots', (s) =>
    s.insertExecutions([
      newRow('r1', 'a'),
      newRow('r2', 'a'),
      newRow('r3', 'b', { startAt: T0 + 10, sleepMsBeforeRun: 10 }),
      newRow('r4', 'a', { startAt: T0 - 5 }),
      newRow('r5', 'c'),
      newRow('p1', 'p'),
      newRow('p2', 'p'),
      newRow('p3', 'p'),
    ]),
  );
  await expect(actual.insertExecutions([newRow('r1', 'a')])).rejects.toThrow(/already exists/);
  await both('next due', (s) => s.getNextDueAt(['b', 'zzz']));
  await both('next due none', (s) => s.getNextDueAt(['zzz']));
  await claim(['a', 'b', 'p'], 3, T0);
  await claim(['a', 'b', 'p'], 10, T0 + 20);
  await both('lost', async (s) =>
    s.findLostRunningExecutions([
      { executionId: 'r1', leaseToken: await token('r1') },
      { executionId: 'r3', leaseToken: 99 },
      { executionId: 'r5', leaseToken: 0 },
    ]),
  );

  const p1Children = [0, 1, 2].map((index) =>
    newRow(`c${index}`, 'c', { parent: { taskId: 'p', executionId: 'p1', index } }),
  );
  const fz2 = newRow('fz2', 'fz', {
    parent: { taskId: 'p', executionId: 'p2', index: -1 },
    indexInParent: -1,
    isFinalizeTask: true,
  });
  const p3Children = [0, 1].map((index) =>
    newRow(`d${index}`, 'd', { parent: { taskId: 'p', executionId: 'p3', index } }),
  );
  const batch = [
    await result('r1', { kind: 'completed', output: '"one"', runOutput: null }),
    await result('r2', { kind: 'retry', error: FAILED, startAt: T0 + 50 }),
    await result('r4', { kind: 'finished_with_error', status: 'failed', error: FAILED }),
    { ...(await result('r3', { kind: 'completed', output: '1', runOutput: null })), leaseToken: 7 },
    await result('p1', { kind: 'waiting_for_children', runOutput: '"p1"', children: p1Children }),
    await result('p2', { kind: 'waiting_for_finalize', runOutput: '"p2"', finalize: fz2 }),
    await result('p3', { kind: 'waiting_for_children', runOutput: '"p3"', children: p3Children }),
  ];
  await both('apply batch', (s) => s.applyRunResults(batch, T0 + 30));
  await both('apply again (stale)', (s) => s.applyRunResults(batch, T0 + 31));
  await both('children', (s) => s.getChildren('p1'));
  await closeAll(T0 + 32);

  await claim(['c', 'd', 'fz', 'a'], 100, T0 + 60);
  await both('apply children', async (s) =>
    s.applyRunResults(
      [
        await result('c0', { kind: 'completed', output: '0', runOutput: null }),
        await result('c1', { kind: 'completed', output: '1', runOutput: null }),
        await result('d0', { kind: 'finished_with_error', status: 'timed_out', error: FAILED }),
        await result('fz2', { kind: 'completed', output: '"fz2"', runOutput: null }),
        await result('r2', { kind: 'retry', error: FAILED, startAt: T0 + 60 }),
      ],
      T0 + 61,
    ),
  );
  await closeAll(T0 + 62);
  await both('apply c2', async (s) =>
    s.applyRunResults(
      [await result('c2', { kind: 'completed', output: '2', runOutput: null })],
      T0 + 63,
    ),
  );
  await closeAll(T0 + 64);
  await both('ready to advance', (s) => s.listParentsReadyToAdvance(10));
  const fzp1 = newRow('fzp1', 'fz', {
    parent: { taskId: 'p', executionId: 'p1', index: -1 },
    indexInParent: -1,
    isFinalizeTask: true,
    startAt: T0 + 65,
    createdAt: T0 + 65,
  });
  await both('advance p1', (s) =>
    s.advanceParent('p1', { kind: 'waiting_for_finalize', finalize: fzp1 }, T0 + 65),
  );
  await both('advance p1 again', (s) =>
    s.advanceParent('p1', { kind: 'completed', output: '"no"' }, T0 + 65),
  );
  await claim(['fz'], 10, T0 + 66);
  await both('finalize fails', async (s) =>
    s.applyRunResults(
      [await result('fzp1', { kind: 'finished_with_error', status: 'failed', error: FAILED })],
      T0 + 67,
    ),
  );
  await closeAll(T0 + 68);

  // Cancel a running tree; the second cancel is a no-op.
  const tree = [
    newRow('q1', 'p', { startAt: T0 + 70, createdAt: T0 + 70 }),
    newRow('q1c0', 'c', {
      parent: { taskId: 'p', executionId: 'q1', index: 0 },
      createdAt: T0 + 71,
    }),
  ];
  await both('insert q1', (s) => s.insertExecutions([tree[0]!]));
  await claim(['p'], 1, T0 + 70);
  await both('q1 children', async (s) =>
    s.applyRunResults(
      [await result('q1', { kind: 'waiting_for_children', runOutput: '1', children: [tree[1]!] })],
      T0 + 71,
    ),
  );
  await claim(['c'], 1, T0 + 72);
  await both('cancel q1', (s) => s.cancelExecution('q1', FAILED, T0 + 73));
  await both('cancel q1 again', (s) => s.cancelExecution('q1', FAILED, T0 + 74));
  await closeAll(T0 + 75);

  // Lease expiry: a recovery attempt, then out of attempts.
  await claim(['a', 'b', 'c'], 10, T0 + 100, 5);
  const recover = (now: number) =>
    both(`recover at ${now}`, (s) =>
      s.recoverExpiredLeases({ now, maxRecoveryAttempts: 1, error: EXECUTOR_LOST, limit: 2 }),
    );
  await recover(T0 + 2000);
  await recover(T0 + 2000);
  await claim(['a', 'b', 'c'], 10, T0 + 3000, 5);
  await recover(T0 + 5000);
  await recover(T0 + 5000);
  await closeAll(T0 + 5001);
  await both('stats', (s) => s.getExecutionStats().then((stats) => stats.byStatus));
  await both('tree', (s) => s.getExecutionTree('p1'));
  // Pages whose rows are unambiguous (the reference pages in insertion order).
  await both('page', (s) => s.listExecutions({ limit: 1, taskId: 'fz' }));
  await both('next page', (s) =>
    s.listExecutions({
      limit: 1,
      taskId: 'fz',
      cursor: { createdAt: T0 + 65, executionId: 'fzp1' },
    }),
  );
  await both('filtered', (s) =>
    s.listExecutions({
      limit: 50,
      rootOnly: true,
      executionIdPrefix: 'r',
      statuses: ['completed', 'failed', 'cancelled'],
    }),
  );

  // One combined write: a result, ready inserts, and inserts claimed for the enqueuer, where
  // a row whose key an earlier row of the batch took is neither inserted nor claimed.
  await both('insert w0', (s) =>
    s.insertExecutions([newRow('w0', 'wa', { createdAt: T0 + 6006 })]),
  );
  await claim(['wa'], 1, T0 + 6006);
  const keyed = { idempotencyKey: 'k', idempotencyExpiresAt: Date.now() + 3_600_000 };
  await both('combined write', async (s) =>
    s.write({
      inserts: [newRow('w1', 'wa', { createdAt: T0 + 6007, ...keyed }), newRow('w2', 'wb')],
      claimedInserts: [
        newRow('w3', 'wa', { createdAt: T0 + 6007, ...keyed }),
        newRow('w4', 'we', { createdAt: T0 + 6007, timeoutMs: 500 }),
      ],
      results: [await result('w0', { kind: 'completed', output: '"w0"', runOutput: null })],
      now: T0 + 6007,
      expireMs: 50,
    }),
  );
  await both('combined write, nothing applies', async (s) =>
    s.write({
      inserts: [],
      claimedInserts: [newRow('w5', 'wa', { createdAt: T0 + 6008, ...keyed })],
      results: [
        {
          executionId: 'w0',
          leaseToken: 1,
          outcome: { kind: 'completed', output: '1', runOutput: null },
        },
      ],
      now: T0 + 6008,
      expireMs: 50,
    }),
  );
}
