/**
 * Flow control across real OS processes on one SQLite file and one PostgreSQL database:
 * concurrent duplicate enqueues from 4 processes create one execution; 4 worker processes keep
 * a limit of 3 per key exactly, keys in parallel; a worker SIGKILLed while holding slots gives
 * them back at its lease's expiry, and the limit still holds.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPrismaStorage } from '@/server/storage';
import { silentLogger } from './fixtures';
import { createClient, databaseTargets, waitUntilIdle, WorkerPool } from './processes/harness';
import type { RunRecord } from './processes/tasks';

const ENQUEUER = join(process.cwd(), 'test', 'storage', 'processes', 'enqueueWithKey.ts');

/** The most runs of one key that overlapped in time, by key, from the runs' own records. */
function peakOverlapByKey(records: RunRecord[]): Map<string, number> {
  const events = records
    .filter((r) => r.key !== undefined && (r.event === 'start' || r.event === 'end'))
    .sort((a, b) => a.at - b.at || (a.event === 'end' ? -1 : 1));
  const running = new Map<string, number>();
  const peaks = new Map<string, number>();
  for (const event of events) {
    const now = (running.get(event.key!) ?? 0) + (event.event === 'start' ? 1 : -1);
    running.set(event.key!, now);
    peaks.set(event.key!, Math.max(peaks.get(event.key!) ?? 0, now));
  }
  return peaks;
}

/** Starts `n` enqueuer processes, lets them go together, and returns what each reported. */
async function enqueueTogether(url: string, key: string, n: number, each: number) {
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, ['--import', 'tsx', ENQUEUER, url, key, String(each)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  const outputs = children.map(
    (child) =>
      new Promise<{ ready: Promise<void>; result: Promise<{ created: number; ids: string[] }> }>(
        (resolve) => {
          let stdout = '';
          let stderr = '';
          let markReady: () => void = () => undefined;
          const ready = new Promise<void>((r) => (markReady = r));
          const result = new Promise<{ created: number; ids: string[] }>((r, reject) => {
            child.stdout.on('data', (chunk: Buffer) => {
              stdout += chunk.toString();
              if (stdout.includes('ready\n')) markReady();
              const line = stdout.split('\n').find((l) => l.startsWith('{'));
              if (line) r(JSON.parse(line) as { created: number; ids: string[] });
            });
            child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
            child.once('exit', (code) => {
              if (code !== 0) reject(new Error(`enqueuer exited ${code}: ${stderr}`));
            });
          });
          resolve({ ready, result });
        },
      ),
  );
  const started = await Promise.all(outputs);
  await Promise.all(started.map((s) => s.ready));
  for (const child of children) child.stdin.write('go\n');
  const results = await Promise.all(started.map((s) => s.result));
  await Promise.all(exited);
  return results;
}

describe.each(databaseTargets())('flow control across processes on one %s', (_name, createUrl) => {
  it(
    'creates one execution for 52 concurrent enqueues of a key from 4 processes',
    {
      timeout: 60_000,
    },
    async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      try {
        const results = await enqueueTogether(url, 'payment-42', 4, 13);
        expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(1);
        expect(new Set(results.flatMap((r) => r.ids)).size).toBe(1);
        expect(await storage.listExecutions({ taskId: 'mp_leaf', limit: 100 })).toHaveLength(1);
      } finally {
        await storage.close();
      }
    },
  );

  it(
    'keeps 3 per key exactly across 4 workers, keys in parallel',
    { timeout: 120_000 },
    async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      const pool = new WorkerPool(url, { POLL_MS: '100' });
      try {
        await Promise.all(['w1', 'w2', 'w3', 'w4'].map((id) => pool.start(id)));
        const { executor, tasks } = createClient(storage);
        await executor.enqueueTasksById(
          tasks.limited.id,
          Array.from({ length: 200 }, (_, i) => ({ input: { key: `k${i % 5}`, sleepMs: 50 } })),
        );
        expect(await waitUntilIdle(storage, 200, 100_000)).toEqual({ completed: 200 });
        const records = pool.records();
        const peaks = peakOverlapByKey(records);
        expect([...peaks.keys()].sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
        expect([...peaks.values()]).toEqual([3, 3, 3, 3, 3]);
        // Keys ran side by side: 5 keys x 40 runs of 50 ms each, 3 at a time per key, took far
        // less than the 5 x 40 x 50 / 3 ms they would take one key after another.
        const starts = records.filter((r) => r.event === 'start').map((r) => r.at);
        const ends = records.filter((r) => r.event === 'end').map((r) => r.at);
        expect(Math.max(...ends) - Math.min(...starts)).toBeLessThan((5 * 40 * 50) / 3);
        expect(new Set(records.map((r) => r.worker)).size).toBeGreaterThan(1);
      } finally {
        await pool.dispose();
        await storage.close();
      }
    },
  );

  it(
    'gives a killed worker’s slots back at its lease’s expiry, within the limit',
    {
      timeout: 120_000,
    },
    async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      const pool = new WorkerPool(url, { EXPIRE_MS: '500', POLL_MS: '100' });
      try {
        const doomed = await pool.start('doomed');
        const { executor, tasks } = createClient(storage);
        await executor.enqueueTasksById(
          tasks.limited.id,
          Array.from({ length: 9 }, () => ({
            input: { key: 'only', sleepMs: 1500 },
            options: { timeoutMs: 2000 },
          })),
        );
        const deadline = Date.now() + 20_000;
        while (pool.records().filter((r) => r.event === 'start').length < 3) {
          if (Date.now() > deadline) throw new Error('the doomed worker never took 3 slots');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await doomed.kill();
        await pool.start('survivor');
        expect(await waitUntilIdle(storage, 9, 60_000)).toEqual({ completed: 9 });
        const survivor = pool.records().filter((r) => r.worker === 'survivor');
        expect(peakOverlapByKey(survivor).get('only')).toBe(3);
        // The 3 the doomed worker held were taken over after their lease, as recoveries.
        expect(survivor.filter((r) => r.event === 'start' && r.attempt === 1)).toHaveLength(3);
      } finally {
        await pool.dispose();
        await storage.close();
      }
    },
  );
});
