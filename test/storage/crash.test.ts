/**
 * Crashes and cancellation across real OS processes: a worker killed with SIGKILL loses its
 * lease and another worker takes its executions over, counting the recovery attempt; a
 * cancel from another process reaches the running code's cancel signal within 1 s.
 */
import { describe, expect, it } from 'vitest';
import { createPrismaStorage } from '@/server/storage';
import { silentLogger } from './fixtures';
import { createClient, databaseTargets, waitUntilIdle, WorkerPool } from './processes/harness';
import type { RunRecord } from './processes/tasks';

async function waitForRecords(
  records: () => RunRecord[],
  predicate: (all: RunRecord[]) => boolean,
  timeoutMs = 20_000,
): Promise<RunRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = records();
    if (predicate(all)) return all;
    if (Date.now() > deadline) expect.fail(`records not reached: ${JSON.stringify(all)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(databaseTargets())('worker processes on one %s', (_name, createUrl) => {
  it(
    'take over the executions of a killed worker after its lease',
    { timeout: 60_000 },
    async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      const pool = new WorkerPool(url, { EXPIRE_MS: '500', POLL_MS: '100' });
      try {
        const doomed = await pool.start('doomed');
        const { executor, tasks } = createClient(storage);
        const handles = await Promise.all(
          [0, 1, 2, 3].map((n) =>
            executor.enqueueTask(tasks.leaf, { n, sleepMs: 1500 }, { timeoutMs: 2000 }),
          ),
        );
        const ids = handles.map((handle) => handle.getTaskExecutionId());
        await waitForRecords(
          () => pool.records(),
          (all) => all.filter((record) => record.event === 'start').length === 4,
        );
        const killedAt = Date.now();
        await doomed.kill();
        await pool.start('survivor');

        await waitUntilIdle(storage, 4, 30_000);
        for (const [n, handle] of handles.entries()) {
          expect(await handle.getTaskExecution()).toMatchObject({
            status: 'completed',
            output: n,
            recoveryAttempts: 1,
          });
        }
        const records = pool.records();
        for (const id of ids) {
          const runs = records.filter((record) => record.executionId === id);
          const first = runs.find((record) => record.attempt === 0 && record.event === 'start');
          const second = runs.find((record) => record.attempt === 1 && record.event === 'start');
          // The first run died with its process; the takeover started after the kill, once
          // the lease (timeoutMs + expireMs after the claim) had ended: never two at once.
          expect(first?.worker).toBe('doomed');
          expect(runs.filter((record) => record.event === 'end')).toEqual([
            expect.objectContaining({ worker: 'survivor', attempt: 1 }),
          ]);
          expect(second?.worker).toBe('survivor');
          expect(second!.at).toBeGreaterThanOrEqual(killedAt);
          expect(second!.at - first!.at).toBeGreaterThanOrEqual(2500 - 50);
        }
      } finally {
        await pool.dispose();
        await storage.close();
      }
    },
  );

  it(
    'deliver a cancel from another process to the running code within 1 s',
    { timeout: 60_000 },
    async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      // The default backstop poll (500 ms): the cancel must not need a faster one.
      const pool = new WorkerPool(url, { POLL_MS: '500' });
      try {
        await pool.start('runner');
        const { executor, tasks } = createClient(storage);
        const handle = await executor.enqueueTask(tasks.hang, undefined);
        await waitForRecords(
          () => pool.records(),
          (all) => all.some((record) => record.event === 'start'),
        );
        const cancelledAt = Date.now();
        await handle.cancel();
        const records = await waitForRecords(
          () => pool.records(),
          (all) => all.some((record) => record.event === 'cancelled'),
          5_000,
        );
        const observed = records.find((record) => record.event === 'cancelled')!;
        expect(observed.at - cancelledAt).toBeLessThan(1000);
        expect((await handle.getTaskExecution()).status).toBe('cancelled');
      } finally {
        await pool.dispose();
        await storage.close();
      }
    },
  );
});
