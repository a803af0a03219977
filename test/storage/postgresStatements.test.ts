/**
 * PostgreSQL statements: prepared once per connection and reused, safe across a migration
 * that adds a column, and the claim's relaxed commit confined to its own transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaStorage, type PrismaStorage } from '@/server/storage';
import { PgClient } from '@/server/storage/postgres/client';
import { claimReady } from '@/server/storage/postgres/enqueue';
import { createTestDatabase, withPgClient, type TestDatabase } from '@/test/helpers/postgres';
import { newRow, silentLogger, T0 } from './fixtures';

let database: TestDatabase;
let storage: PrismaStorage;

beforeAll(async () => {
  database = await createTestDatabase();
  // One connection, so that every statement below runs on the same session.
  storage = await createPrismaStorage({ url: database.url, logger: silentLogger, poolSize: 1 });
});

afterAll(async () => {
  await storage.close();
  await database.drop();
});

/** Enqueue, claim, complete and read one execution: the hot path's statements. */
async function runOnce(executionId: string) {
  await storage.insertExecutions([newRow(executionId, 'a')]);
  const [claimed] = await storage.claimReadyExecutions({
    taskIds: ['a'],
    limit: 1,
    now: T0,
    expireMs: 1000,
  });
  if (!claimed) throw new Error(`${executionId} was not claimed`);
  const [applied] = await storage.applyRunResults(
    [
      {
        executionId,
        leaseToken: claimed.leaseToken,
        outcome: { kind: 'completed', runOutput: '"r"', output: '"out"' },
      },
    ],
    T0 + 1,
  );
  const [row] = await storage.getExecutions([executionId]);
  const page = await storage.listExecutions({ limit: 10 });
  return { claimed, applied, row, page };
}

describe('PostgreSQL statements', () => {
  it('are prepared once per connection and reused', async () => {
    const client = PgClient.open(database.url, silentLogger, { poolSize: 1 });
    try {
      const claimNothing = () =>
        claimReady(client.prisma, { taskIds: ['none'], limit: 1, now: T0, expireMs: 1 });
      await claimNothing();
      await claimNothing();
      const statements = await client.prisma.$queryRaw<{ name: string }[]>`
        SELECT name FROM pg_prepared_statements`;
      // The claim (prepared once, run twice) and this read, each under its own name.
      expect(statements.filter((s) => s.name.startsWith('durably_'))).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('stay unnamed behind PgBouncer (?pgbouncer=true, as Prisma spells it)', async () => {
    const client = PgClient.open(`${database.url}?pgbouncer=true`, silentLogger, { poolSize: 1 });
    try {
      const [claimed] = await claimReady(client.prisma, {
        taskIds: ['none'],
        limit: 1,
        now: T0,
        expireMs: 1,
      });
      expect(claimed).toBeUndefined();
      const statements = await client.prisma.$queryRaw<{ name: string }[]>`
        SELECT name FROM pg_prepared_statements`;
      expect(statements).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('keep working after a migration adds a column', async () => {
    await runOnce('m1');
    await withPgClient(database.url, (client) =>
      client.query('ALTER TABLE task_executions ADD COLUMN added_later TEXT'),
    );
    try {
      // A cached `SELECT *` would now fail: "cached plan must not change result type".
      const { claimed, applied, row, page } = await runOnce('m2');
      expect(claimed.executionId).toBe('m2');
      expect(applied?.status).toBe('completed');
      expect(row?.output).toBe('"out"');
      expect(page.map((r) => r.executionId)).toContain('m2');
    } finally {
      await withPgClient(database.url, (client) =>
        client.query('ALTER TABLE task_executions DROP COLUMN added_later'),
      );
    }
  });

  it("confine the claim's relaxed commit to its own transaction", async () => {
    const client = PgClient.open(database.url, silentLogger, { poolSize: 1 });
    try {
      const setting = async () =>
        (
          await client.prisma.$queryRaw<{ synchronous_commit: string }[]>`SHOW synchronous_commit`
        )[0]?.synchronous_commit;
      // The test cluster runs with synchronous_commit off: put this session on, as in production.
      await client.prisma.$executeRaw`SET synchronous_commit = on`;
      expect(await setting()).toBe('on');
      await storage.insertExecutions([newRow('c1', 'a')]);
      const [claimed] = await claimReady(client.prisma, {
        taskIds: ['a'],
        limit: 1,
        now: T0,
        expireMs: 1000,
      });
      expect(claimed?.execution_id).toBe('c1');
      // The relaxed commit was local to the claim's transaction: this session is back to on,
      // so the enqueues and results that share its connection still wait for the disk.
      expect(await setting()).toBe('on');
    } finally {
      await client.close();
    }
  });
});
