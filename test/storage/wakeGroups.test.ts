/**
 * PostgreSQL wake groups: executors serving the same tasks elect one to answer other
 * processes' `work_ready`. Each executor has a store of its own (its own pool, LISTEN
 * connection and notification origin), as separate processes would. The backstop is an hour
 * away, so every start below comes from a wake-up, never from a poll.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DurableExecutor, type DurableStorage } from '@/server/engine';
import { createPrismaStorage, type PrismaStorage } from '@/server/storage';
import { createDeferred, waitFor, type Deferred } from '../engine/helpers';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { silentLogger } from './fixtures';

const NO_BACKSTOP = { backgroundProcessIntraBatchSleepMs: 3_600_000, logger: silentLogger };

let database: TestDatabase;
const stores: PrismaStorage[] = [];
const executors: DurableExecutor[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()));
  await Promise.all(stores.splice(0).map((store) => store.close()));
});
afterAll(async () => {
  await database.drop();
});

async function openStore(): Promise<PrismaStorage> {
  const storage = await createPrismaStorage({ url: database.url, logger: silentLogger });
  stores.push(storage);
  return storage;
}

/** A store that counts the claims made through it. */
function countingClaims(storage: DurableStorage): {
  storage: DurableStorage;
  claims: () => number;
} {
  let claims = 0;
  const counted = new Proxy(storage, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'claimReadyExecutions') claims += 1;
      return (value as () => unknown).bind(target);
    },
  });
  return { storage: counted, claims: () => claims };
}

interface Worker {
  name: string;
  executor: DurableExecutor;
  claims: () => number;
}

/** Starts `count` executors of the task `job`, which records who ran each input. */
async function startWorkers(
  count: number,
  ranBy: Map<string, string>,
  options: { maxConcurrentTaskExecutions?: number; hold?: Map<string, Deferred<void>> } = {},
): Promise<Worker[]> {
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) {
    const name = `worker-${i}`;
    const counted = countingClaims(await openStore());
    const executor = new DurableExecutor(counted.storage, {
      ...NO_BACKSTOP,
      ...(options.maxConcurrentTaskExecutions
        ? { maxConcurrentTaskExecutions: options.maxConcurrentTaskExecutions }
        : {}),
    });
    executor.task({
      id: 'job',
      timeoutMs: 30_000,
      run: async (_ctx, input: string) => {
        ranBy.set(input, name);
        await options.hold?.get(input)?.promise;
        return input;
      },
    });
    executor.start();
    executors.push(executor);
    workers.push({ name, executor, claims: counted.claims });
  }
  // Each worker's first claim (the start's) has returned: from here on only wake-ups claim.
  await waitFor(() => workers.every((worker) => worker.claims() >= 1), {
    message: 'the first claims',
  });
  return workers;
}

/** An executor that knows the tasks but is never started: it only enqueues (a web process). */
async function producer() {
  const executor = new DurableExecutor(await openStore(), NO_BACKSTOP);
  executors.push(executor);
  const job = executor.task({ id: 'job', timeoutMs: 30_000, run: (_ctx, input: string) => input });
  const other = executor.task({ id: 'other', timeoutMs: 30_000, run: () => 'unused' });
  return { executor, job, other };
}

/** A wait that fails well before any backstop could have helped. */
const soon = () => ({ signal: AbortSignal.timeout(10_000) });

describe('PostgreSQL wake groups', () => {
  it('wakes one of several idle executors per enqueue, not all of them', async () => {
    const ranBy = new Map<string, string>();
    const workers = await startWorkers(3, ranBy);
    const before = workers.reduce((sum, worker) => sum + worker.claims(), 0);
    const { executor: enqueuer, job } = await producer();
    for (let i = 0; i < 30; i++) {
      const handle = await enqueuer.enqueueTask(job, `job-${i}`);
      const finished = await handle.waitAndGetTaskFinishedExecution();
      expect(finished.status).toBe('completed');
    }
    const claims = workers.reduce((sum, worker) => sum + worker.claims(), 0) - before;
    // One claim per enqueue; waking all three would make about 90.
    expect(claims).toBeGreaterThanOrEqual(30);
    expect(claims).toBeLessThan(40);
    expect(new Set(ranBy.values()).size).toBe(1);
  });

  it('hands the lead to an executor with free slots when the leader is full', async () => {
    const ranBy = new Map<string, string>();
    const hold = new Map([['first', createDeferred()]]);
    await startWorkers(2, ranBy, { maxConcurrentTaskExecutions: 1, hold });
    const { executor: enqueuer, job } = await producer();
    const first = await enqueuer.enqueueTask(job, 'first');
    await waitFor(() => ranBy.has('first'), { message: 'the first run' });
    // The leader is full now: the other executor, woken by the vacancy, runs the second.
    const second = await enqueuer.enqueueTask(job, 'second');
    expect((await second.waitAndGetTaskFinishedExecution(soon())).status).toBe('completed');
    expect(ranBy.get('second')).not.toBe(ranBy.get('first'));
    hold.get('first')!.resolve();
    expect((await first.waitAndGetTaskFinishedExecution()).status).toBe('completed');
  });

  it('hands the lead over when the leader shuts down', async () => {
    const ranBy = new Map<string, string>();
    const workers = await startWorkers(2, ranBy);
    const { executor: enqueuer, job } = await producer();
    await (await enqueuer.enqueueTask(job, 'before')).waitAndGetTaskFinishedExecution();
    const leader = workers.find((worker) => worker.name === ranBy.get('before'))!;
    await leader.executor.shutdown();
    const after = await enqueuer.enqueueTask(job, 'after');
    expect((await after.waitAndGetTaskFinishedExecution(soon())).status).toBe('completed');
    expect(ranBy.get('after')).not.toBe(leader.name);
  });

  it('keeps one leader per task set: executors of other tasks still hear their work', async () => {
    const ranBy = new Map<string, string>();
    await startWorkers(2, ranBy);
    const other = new DurableExecutor(await openStore(), NO_BACKSTOP);
    executors.push(other);
    other.task({ id: 'other', timeoutMs: 30_000, run: () => 'other ran' });
    other.start();
    const { executor: enqueuer, other: otherTask } = await producer();
    const handle = await enqueuer.enqueueTask(otherTask, undefined);
    const finished = await handle.waitAndGetTaskFinishedExecution(soon());
    expect(finished.status === 'completed' && finished.output).toBe('other ran');
  });
});
