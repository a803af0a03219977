/** The write queue's group commit: what arrives together is written together, failures apart. */
import { describe, expect, it } from 'vitest';
import { createInMemoryStorage } from '@/server/engine';
import type { DurableStorage, WriteBatch } from '@/server/engine';
import { WriteQueue } from '@/server/engine/writeQueue';
import { newRow } from '../storage/fixtures';
import { silentLogger } from './conformance/harness';

/** The in-memory store, recording each write and failing those that insert `poisoned`. */
function recordingStore(poisoned: string): { storage: DurableStorage; writes: WriteBatch[] } {
  const storage = createInMemoryStorage();
  const writes: WriteBatch[] = [];
  const write = storage.write.bind(storage);
  storage.write = (batch) => {
    writes.push(batch);
    const ids = [...batch.inserts, ...batch.claimedInserts].map((row) => row.executionId);
    return ids.includes(poisoned) ? Promise.reject(new Error('rejected row')) : write(batch);
  };
  return { storage, writes };
}

async function runningRow(storage: DurableStorage, executionId: string) {
  await storage.insertExecutions([newRow(executionId, 'a', { startAt: 0 })]);
  const [row] = await storage.claimReadyExecutions({
    taskIds: ['a'],
    limit: 1,
    now: Date.now(),
    expireMs: 1000,
  });
  return row!;
}

describe('write queue', () => {
  it('writes an enqueue, a claimed enqueue and a result that arrive together in one write', async () => {
    const { storage, writes } = recordingStore('none');
    const running = await runningRow(storage, 'r1');
    const queue = new WriteQueue(storage, 1000, silentLogger);
    const completed = { kind: 'completed', output: '1', runOutput: null } as const;
    const [inserted, claimed, applied] = await Promise.all([
      queue.insert(newRow('n1', 'a')),
      queue.insertClaimed(newRow('n2', 'a')),
      queue.result({ executionId: 'r1', leaseToken: running.leaseToken, outcome: completed }),
    ]);
    expect(writes).toHaveLength(1);
    expect(inserted).toEqual({ executionId: 'n1', created: true });
    expect(claimed.inserted).toEqual({ executionId: 'n2', created: true });
    expect(claimed.claimed).toMatchObject({ executionId: 'n2', status: 'running', leaseToken: 1 });
    expect(applied).toMatchObject({ executionId: 'r1', status: 'completed' });
  });

  it('fails only the callers of the kind that failed', async () => {
    const { storage, writes } = recordingStore('bad');
    const running = await runningRow(storage, 'r1');
    const queue = new WriteQueue(storage, 1000, silentLogger);
    const completed = { kind: 'completed', output: '1', runOutput: null } as const;
    const [insert, result] = await Promise.allSettled([
      queue.insert(newRow('bad', 'a')),
      queue.result({ executionId: 'r1', leaseToken: running.leaseToken, outcome: completed }),
    ]);
    expect(insert).toMatchObject({ status: 'rejected', reason: new Error('rejected row') });
    expect(result).toMatchObject({ status: 'fulfilled', value: { status: 'completed' } });
    // The combined write, then each kind on its own.
    expect(writes.map((w) => [w.inserts.length, w.results.length])).toEqual([
      [1, 1],
      [1, 0],
      [0, 1],
    ]);
    expect(await storage.getExecution('bad')).toBeNull();
  });
});
