/**
 * PostgreSQL stops while workers run, then starts again: the workers log, back off, keep
 * running, reconnect (LISTEN included), and every execution still finishes. Uses a cluster of
 * its own, so that stopping it disturbs no other test file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaStorage } from '@/server/storage';
import type { PrismaStorage } from '@/server/storage';
import { findPgBinDir, startPgCluster } from '@/test/helpers/pgCluster';
import type { PgCluster } from '@/test/helpers/pgCluster';
import { withPgClient } from '@/test/helpers/postgres';
import { silentLogger } from './fixtures';
import { createClient, WorkerPool } from './processes/harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Like waitUntilIdle, but tolerating the errors of a database that is down. */
async function waitAllCompleted(storage: PrismaStorage, total: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const { byStatus } = await storage.getExecutionStats();
      last = JSON.stringify(byStatus);
      if (byStatus.completed === total) return;
    } catch (error) {
      last = String(error);
    }
    await sleep(250);
  }
  expect.fail(`not all completed after ${timeoutMs} ms: ${last}`);
}

describe.skipIf(!findPgBinDir())('PostgreSQL restart under running workers', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
    await withPgClient(cluster.url(), (client) => client.query('CREATE DATABASE durably'));
  });
  afterAll(() => cluster.destroy());

  it('recovers and finishes every execution', { timeout: 120_000 }, async () => {
    const url = cluster.url('durably');
    const storage = await createPrismaStorage({ url, logger: silentLogger });
    const pool = new WorkerPool(url, { EXPIRE_MS: '1000', POLL_MS: '200' });
    try {
      const workers = await Promise.all(['w1', 'w2'].map((id) => pool.start(id)));
      const { executor, tasks } = createClient(storage);
      const enqueue = (from: number, count: number) =>
        Promise.all(
          Array.from({ length: count }, (_, i) =>
            executor.enqueueTask(
              tasks.leaf,
              { n: from + i, sleepMs: 300 + ((from + i) % 10) * 100 },
              { timeoutMs: 3000 },
            ),
          ),
        );
      await enqueue(0, 100);
      await sleep(500); // runs are in flight
      cluster.stop();
      await sleep(2000);
      cluster.start();
      await enqueue(100, 50);
      await waitAllCompleted(storage, 150, 90_000);

      for (const worker of workers) process.stderr.write(`=== ${worker.id}\n${worker.logs()}`);
      for (const worker of workers) {
        expect(worker.child.exitCode).toBeNull(); // still running: nothing crashed
        expect(worker.logs()).toMatch(/error/);
        expect(worker.logs()).toMatch(/LISTEN connection restored/);
      }
      const ran = new Set(pool.records().map((record) => record.executionId));
      expect(ran.size).toBe(150);
      expect(await Promise.all(workers.map((worker) => worker.stop()))).toEqual([0, 0]);
    } finally {
      await pool.dispose();
      await storage.close();
    }
  });
});
