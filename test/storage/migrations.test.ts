/**
 * The migration runner on both databases: idempotent, locked, refusing a newer database, and
 * keeping its history in a table of Durably's own.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPrismaStorage,
  DatabaseUnavailableError,
  migrateDatabase,
  MigrationStateError,
} from '@/server/storage';
import { readMigrations } from '@/server/storage/migrate';
import { freePort } from '@/test/helpers/pgCluster';
import { createTestDatabase, withPgClient } from '@/test/helpers/postgres';

const migrationNames = (provider: string) =>
  readMigrations(join(process.cwd(), 'prisma/durably/migrations', provider)).map((m) => m.name);

interface Driver {
  /** Durably's migrations of this provider, in order. */
  init: string[];
  /** Durably's history table and executions table, as qualified names. */
  history: string;
  executions: string;
  url(): Promise<string>;
  exec(url: string, sql: string): Promise<void>;
  count(url: string, sql: string): Promise<number>;
}

const dir = mkdtempSync(join(tmpdir(), 'durably-migrate-'));
let files = 0;
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(drops.map((drop) => drop()));
  rmSync(dir, { recursive: true, force: true });
});

const sqlite: Driver = {
  init: migrationNames('sqlite'),
  history: 'durably_migrations',
  executions: 'durably_task_executions',
  url: () => Promise.resolve(`file:${join(dir, `nested/db-${(files += 1)}.db`)}`),
  exec: (url, sql) => {
    const db = new Database(url.slice('file:'.length));
    db.exec(sql);
    db.close();
    return Promise.resolve();
  },
  count: (url, sql) => {
    const db = new Database(url.slice('file:'.length));
    const row = db.prepare(sql).get() as { n: number };
    db.close();
    return Promise.resolve(Number(row.n));
  },
};

const postgres: Driver = {
  init: migrationNames('postgres'),
  history: 'durably.migrations',
  executions: 'durably.task_executions',
  url: async () => {
    const database = await createTestDatabase();
    drops.push(() => database.drop());
    return database.url;
  },
  exec: (url, sql) => withPgClient(url, async (client) => void (await client.query(sql))),
  count: (url, sql) =>
    withPgClient(url, async (client) =>
      Number((await client.query<{ n: string }>(sql)).rows[0]?.n),
    ),
};

describe.each([
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
])('migrations: %s', (_name, driver) => {
  it("applies pending migrations once, recording them in Durably's own history", async () => {
    const url = await driver.url();
    expect(await migrateDatabase(url)).toEqual({ applied: driver.init });
    expect(await migrateDatabase(url)).toEqual({ applied: [] });
    expect(
      await driver.count(
        url,
        `SELECT COUNT(*) AS n FROM ${driver.history}
         WHERE length(checksum) = 64 AND applied_at > 0`,
      ),
    ).toBe(driver.init.length);
    expect(await driver.count(url, `SELECT COUNT(*) AS n FROM ${driver.executions}`)).toBe(0);
  });

  it('migrates once when processes start together', async () => {
    const url = await driver.url();
    const results = await Promise.all([1, 2, 3, 4].map(() => migrateDatabase(url)));
    expect(results.flatMap((result) => result.applied)).toEqual(driver.init);
  });

  it('refuses a database ahead of the code', async () => {
    const url = await driver.url();
    await migrateDatabase(url);
    await driver.exec(
      url,
      `INSERT INTO ${driver.history} (migration_name, checksum, applied_at)
       VALUES ('29990101000000_future', 'c', 1)`,
    );
    await expect(migrateDatabase(url)).rejects.toThrow(MigrationStateError);
    await expect(migrateDatabase(url)).rejects.toThrow(
      /ahead of the code: it has Durably migration\(s\) 29990101000000_future/,
    );
    await expect(createPrismaStorage({ url })).rejects.toThrow(/ahead of the code/);
  });

  it('refuses a migration edited after it was applied', async () => {
    const url = await driver.url();
    await migrateDatabase(url);
    await driver.exec(url, `UPDATE ${driver.history} SET checksum = 'edited'`);
    await expect(migrateDatabase(url)).rejects.toThrow(/was modified after it was applied/);
  });
});

describe('opening a database', () => {
  it('says clearly when PostgreSQL is down', async () => {
    const url = `postgresql://postgres@127.0.0.1:${await freePort()}/durably`;
    const opening = createPrismaStorage({ url });
    await expect(opening).rejects.toThrow(DatabaseUnavailableError);
    await expect(opening).rejects.toThrow(/Cannot connect to PostgreSQL at .*ECONNREFUSED/);
  });

  it('rejects an unsupported URL', async () => {
    await expect(createPrismaStorage({ url: 'mysql://x/y' })).rejects.toThrow(
      /Unsupported DATABASE_URL/,
    );
  });
});
