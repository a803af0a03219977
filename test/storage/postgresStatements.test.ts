/**
 * PostgreSQL statements: prepared once per connection and reused, safe across a migration
 * that adds a column, and the claim's relaxed commit confined to its own transaction.
 */
import { sqltag as sql } from '@prisma/client/runtime/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimRequest } from '@/server/engine/storage';
import { createPrismaStorage, type PrismaStorage } from '@/server/storage';
import { PgClient } from '@/server/storage/postgres/client';
import { postgresDialect } from '@/server/storage/postgres/dialect';
import { claimReady } from '@/server/storage/sql/claims';
import { queryRows } from '@/server/storage/sql/program';
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

const dialect = postgresDialect();

/** A client of its own on one connection, so that its statements share a session. */
const openClient = (url: string) =>
  PgClient.open(url, dialect.channel, silentLogger, { poolSize: 1 });

const claim = (client: PgClient, request: ClaimRequest) =>
  client.run(() => claimReady(dialect, request));

const preparedNames = async (client: PgClient) =>
  (
    await client.run(() =>
      queryRows<{ name: string }>(sql`SELECT name FROM pg_prepared_statements`),
    )
  ).map((row) => row.name);

const showSynchronousCommit = async (client: PgClient) =>
  (
    await client.run(() => queryRows<{ synchronous_commit: string }>(sql`SHOW synchronous_commit`))
  )[0]?.synchronous_commit;

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
    const client = openClient(database.url);
    try {
      const claimNothing = () =>
        claim(client, { taskIds: ['none'], limit: 1, now: T0, expireMs: 1 });
      await claimNothing();
      await claimNothing();
      // The claim (prepared once, run twice) and this read, each under its own name.
      const names = await preparedNames(client);
      expect(names.filter((name) => name.startsWith('durably_'))).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('stay unnamed behind PgBouncer (?pgbouncer=true, as Prisma spells it)', async () => {
    const client = openClient(`${database.url}?pgbouncer=true`);
    try {
      const [claimed] = await claim(client, { taskIds: ['none'], limit: 1, now: T0, expireMs: 1 });
      expect(claimed).toBeUndefined();
      expect(await preparedNames(client)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('keep working after a migration adds a column', async () => {
    await runOnce('m1');
    await withPgClient(database.url, (client) =>
      client.query('ALTER TABLE durably.task_executions ADD COLUMN added_later TEXT'),
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
        client.query('ALTER TABLE durably.task_executions DROP COLUMN added_later'),
      );
    }
  });

  it("confine the claim's relaxed commit to its own transaction", async () => {
    const client = openClient(database.url);
    try {
      // The test cluster runs with synchronous_commit off: put this session on, as in production.
      await client.run(() => queryRows(sql`SET synchronous_commit = on`));
      expect(await showSynchronousCommit(client)).toBe('on');
      await storage.insertExecutions([newRow('c1', 'a')]);
      const [claimed] = await claim(client, { taskIds: ['a'], limit: 1, now: T0, expireMs: 1000 });
      expect(claimed?.execution_id).toBe('c1');
      // The relaxed commit was local to the claim's transaction: this session is back to on,
      // so the enqueues and results that share its connection still wait for the disk.
      expect(await showSynchronousCommit(client)).toBe('on');
    } finally {
      await client.close();
    }
  });
});
