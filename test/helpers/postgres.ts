/**
 * PostgreSQL for tests: `createTestDatabase()` gives each test file a fresh database.
 *
 * With DURABLY_TEST_DATABASE_URL set (an existing server, e.g. a developer's own), databases are
 * created on that server and dropped after. Otherwise one throw-away
 * cluster is shared by the whole test run, started lazily by the first file that needs it:
 * test/helpers/postgresGlobalSetup.ts provides a state directory, files take a lock in it to
 * start or find the cluster, and the global teardown stops it. Runs without that global setup
 * fall back to one cluster per test process, stopped when the process exits.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { CLUSTER_INFO_FILE, startPgCluster, testDatabaseUrl } from './pgCluster';
import type { PgCluster } from './pgCluster';

declare module 'vitest' {
  export interface ProvidedContext {
    durablyPgStateDir: string;
  }
}

export interface TestDatabase {
  url: string;
  /** Drops the database (closing any connection still open on it). */
  drop(): Promise<void>;
}

interface ClusterInfo {
  port: number;
  dir: string;
}

let processCluster: PgCluster | undefined;
let adminUrlPromise: Promise<string> | undefined;

/** The maintenance URL of the server that test databases are created on. */
export function getAdminUrl(): Promise<string> {
  adminUrlPromise ??= resolveAdminUrl();
  return adminUrlPromise;
}

async function resolveAdminUrl(): Promise<string> {
  const fromEnv = testDatabaseUrl();
  if (fromEnv) return fromEnv;
  const stateDir = injectedStateDir();
  if (!stateDir) {
    processCluster = await startPgCluster(join(tmpdir(), 'durably-test'));
    const cluster = processCluster;
    process.once('exit', () => cluster.destroy());
    return cluster.url();
  }
  const info = await withLock(stateDir, async () => {
    const file = join(stateDir, CLUSTER_INFO_FILE);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
    const cluster = await startPgCluster(stateDir);
    const started: ClusterInfo = { port: cluster.port, dir: cluster.dir };
    writeFileSync(file, JSON.stringify(started));
    return started;
  });
  return `postgresql://postgres@127.0.0.1:${info.port}/postgres`;
}

function injectedStateDir(): string | undefined {
  try {
    return inject('durablyPgStateDir');
  } catch {
    return undefined;
  }
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Replaces the database name of a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function withPgClient<T>(url: string, fn: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh, empty database; call `drop()` when the test file is done. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = await getAdminUrl();
  const name = `durably_test_${randomBytes(6).toString('hex')}`;
  await withPgClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(adminUrl, name),
    drop: async () => {
      await withPgClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}
