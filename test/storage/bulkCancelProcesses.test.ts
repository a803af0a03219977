/**
 * A bulk cancel through `executions.bulk.*` of 2,000 running and ready executions spread over
 * 3 worker processes (real OS processes): every one ends cancelled, and the code of every one
 * that ran saw its cancel signal in its own process.
 */
import { describe, expect, it } from 'vitest';
import { createApiContext, createCaller } from '@/server/api';
import { createPrismaStorage } from '@/server/storage';
import { registerTasks } from '@/server/tasks';
import { waitFor } from '@/test/engine/helpers';
import { silentLogger } from './fixtures';
import { createClient, databaseTargets, waitUntilIdle, WorkerPool } from './processes/harness';

const TOTAL = 2000;
const PER_WORKER = 150;

describe.each(databaseTargets())(
  'bulk cancel across 3 worker processes on %s',
  (_name, createUrl) => {
    it('cancels 2,000 running and ready executions', { timeout: 180_000 }, async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      const pool = new WorkerPool(url, { POLL_MS: '100', MAX_CONCURRENT: String(PER_WORKER) });
      try {
        await Promise.all(['w1', 'w2', 'w3'].map((id) => pool.start(id)));
        const { executor, tasks } = createClient(storage);
        await executor.enqueueTasks(
          tasks.hang,
          Array.from({ length: TOTAL }, () => undefined),
        );
        const running = async () => (await storage.getExecutionStats()).byStatus.running ?? 0;
        await waitFor(async () => (await running()) === 3 * PER_WORKER, {
          timeoutMs: 60_000,
          intervalMs: 100,
          message: 'every worker running its fill',
        });
        const startedBy = new Set(pool.records().map((record) => record.worker));
        expect(startedBy).toEqual(new Set(['w1', 'w2', 'w3']));

        const durably = { executor, storage, tasks: registerTasks(executor), running: false };
        const api = createCaller(
          createApiContext({ headers: null, getDurably: () => Promise.resolve(durably) }),
        );
        const filter = { status: ['running' as const, 'ready' as const], taskId: 'mp_hang' };
        expect(await api.executions.bulk.count({ filter })).toEqual({ count: TOTAL });
        const started = await api.executions.bulk.start({ kind: 'cancel', target: { filter } });
        expect(started).toMatchObject({ kind: 'cancel', state: 'running', total: TOTAL });
        const progress: number[] = [];
        await waitFor(
          async () => {
            const operation = await api.executions.bulk.get({ operationId: started.operationId });
            progress.push(operation.done);
            return operation.state !== 'running';
          },
          { timeoutMs: 120_000, intervalMs: 50, message: 'the bulk cancel to finish' },
        );
        const finished = await api.executions.bulk.get({ operationId: started.operationId });
        expect(finished).toMatchObject({
          state: 'completed',
          total: TOTAL,
          done: TOTAL,
          failed: 0,
        });
        expect(progress.some((done) => done > 0 && done < TOTAL)).toBe(true);

        expect(await waitUntilIdle(storage, TOTAL, 60_000)).toEqual({ cancelled: TOTAL });
        const ranIds = () =>
          new Set(
            pool
              .records()
              .filter((r) => r.event === 'start')
              .map((r) => r.executionId),
          );
        const sawCancel = () =>
          new Set(
            pool
              .records()
              .filter((r) => r.event === 'cancelled')
              .map((r) => r.executionId),
          );
        expect(ranIds().size).toBeGreaterThanOrEqual(3 * PER_WORKER);
        await waitFor(() => sawCancel().size === ranIds().size, {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: 'every running execution to see its cancel signal',
        });
        expect(sawCancel()).toEqual(ranIds());
      } finally {
        await pool.dispose();
        await storage.close();
      }
    });
  },
);
