/**
 * Sleeping tasks across processes: a wakeup sent by another OS process finishes the execution
 * and wakes its waiter here through the store's push (NOTIFY on PostgreSQL, the change feed on
 * SQLite), not the waiter's fallback poll; one sent before the execution exists is kept; of
 * several processes waking one id at once, exactly one wins.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableExecutor } from '@/server/engine';
import { createPrismaStorage, type PrismaStorage } from '@/server/storage';
import { within } from '@/test/engine/helpers';
import { silentLogger } from './fixtures';
import { databaseTargets } from './processes/harness';

const SENDER = join(process.cwd(), 'test', 'storage', 'processes', 'sendWakeup.ts');

function sendWakeup(url: string, uniqueId: string, by: string): Promise<{ kind?: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SENDER, url, uniqueId, by], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`sender exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim()) as { kind?: string });
    });
  });
}

function client(storage: PrismaStorage) {
  const executor = new DurableExecutor(storage, { logger: silentLogger });
  const approval = executor.sleepingTask<{ by: string }>({ id: 'approval', timeoutMs: 60_000 });
  return { executor, approval };
}

describe.each(databaseTargets())('sleeping tasks across processes on %s', (_name, createUrl) => {
  it(
    'a wakeup from another process finishes the execution and wakes the waiter here',
    {
      timeout: 60_000,
    },
    async () => {
      const url = await createUrl();
      const storage = await createPrismaStorage({ url, logger: silentLogger });
      const { executor, approval } = client(storage);
      try {
        const handle = await executor.enqueueTask(approval, 'remote-1');
        // A fallback poll of a minute: only the push can finish this wait in time.
        const waiting = handle.waitAndGetTaskFinishedExecution({ pollingIntervalMs: 60_000 });
        expect(await sendWakeup(url, 'remote-1', 'far away')).toEqual({ kind: 'applied' });
        const finished = await within(waiting, 3_000, 'the finish pushed from the other process');
        expect(finished).toMatchObject({ status: 'completed', output: { by: 'far away' } });

        // Sent first, from elsewhere: kept, and applied when the execution is enqueued here.
        expect(await sendWakeup(url, 'remote-2', 'early bird')).toEqual({ kind: 'kept' });
        const early = await executor.enqueueTask(approval, 'remote-2');
        expect(await early.waitAndGetTaskFinishedExecution()).toMatchObject({
          status: 'completed',
          output: { by: 'early bird' },
        });

        // Four processes wake one id at once: one applies it, the others get its outcome.
        const raced = await executor.enqueueTask(approval, 'remote-3');
        const results = await Promise.all(
          ['a', 'b', 'c', 'd'].map((by) => sendWakeup(url, 'remote-3', by)),
        );
        expect(results.filter((result) => result.kind === 'applied')).toHaveLength(1);
        expect(results.filter((result) => result.kind === 'duplicate')).toHaveLength(3);
        expect((await raced.waitAndGetTaskFinishedExecution()).status).toBe('completed');
      } finally {
        await executor.shutdown();
        await storage.close();
      }
    },
  );
});
