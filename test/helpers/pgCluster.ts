/**
 * A throw-away PostgreSQL cluster in a temp dir, on a free port: initdb (as user `postgres`
 * when running as root, since initdb refuses root), trust auth, fsync off unless `durable`.
 * Starts in ~2 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Written into the shared state directory by the file that started the run's cluster. */
export const CLUSTER_INFO_FILE = 'cluster.json';

export interface PgCluster {
  readonly dir: string;
  readonly port: number;
  /** A connection URL for `database` on this cluster (user postgres, trust auth). */
  url(database?: string): string;
  /** Stops the server (fast shutdown); the data directory stays. */
  stop(): void;
  /** Starts the server again on the same port. */
  start(): void;
  /** Stops the server and deletes the data directory. */
  destroy(): void;
}

/** An existing server to create test databases on, when the developer names one. */
export function testDatabaseUrl(): string | undefined {
  return process.env.DURABLY_TEST_DATABASE_URL || undefined;
}

/** What to do when no PostgreSQL is found: one line, for the test run to print. */
export const POSTGRES_MISSING =
  'The tests need PostgreSQL: install it (Debian/Ubuntu: apt-get install postgresql; ' +
  'macOS: brew install postgresql@16), put its initdb on PATH (or set PG_BIN_DIR), or set ' +
  'DURABLY_TEST_DATABASE_URL to a server where the tests may create and drop databases.';

const hasInitdb = (dir: string | undefined): dir is string =>
  dir !== undefined && dir !== '' && existsSync(join(dir, 'initdb'));

/**
 * The bin directory of an installed PostgreSQL, or null: PG_BIN_DIR, then Debian's newest
 * /usr/lib/postgresql/<version>/bin, then `pg_config --bindir`, then `initdb` on PATH.
 */
export function findPgBinDir(): string | null {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => hasInitdb(join(debian, name, 'bin')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  const fromPgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const bindir = fromPgConfig.status === 0 ? fromPgConfig.stdout.trim() : undefined;
  if (hasInitdb(bindir)) return bindir;
  return (process.env.PATH ?? '').split(delimiter).find(hasInitdb) ?? null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = process.getuid?.() === 0;

function asPostgres(binary: string, args: string[]): void {
  const [command, commandArgs] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
    : [binary, args];
  const result = spawnSync(command, commandArgs, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${binary} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`,
    );
  }
}

/** Stops the cluster whose directory (as returned in `PgCluster.dir`) is `dir`. */
export function stopPgClusterDir(dir: string): void {
  const bin = findPgBinDir();
  if (!bin) return;
  asPostgres(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
}

/** Initialises and starts a new cluster. `parentDir` defaults to the OS temp dir. */
export async function startPgCluster(
  parentDir = tmpdir(),
  { durable = false }: { durable?: boolean } = {},
): Promise<PgCluster> {
  const bin = findPgBinDir();
  if (!bin) throw new Error(POSTGRES_MISSING);
  mkdirSync(parentDir, { recursive: true });
  const dir = mkdtempSync(join(parentDir, 'durably-pg-'));
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const dataDir = join(dir, 'data');
  asPostgres(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // Tests trade durability for speed; benchmarks (durable) keep PostgreSQL's defaults.
    ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    '-c max_connections=200',
  ].join(' ');
  const start = (): void =>
    asPostgres(pgCtl, ['-D', dataDir, '-l', join(dir, 'log'), '-w', '-o', options, 'start']);
  const stop = (): void => stopPgClusterDir(dir);
  start();
  let running = true;
  return {
    dir,
    port,
    url: (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    stop: () => {
      if (!running) return;
      stop();
      running = false;
    },
    start: () => {
      if (running) return;
      start();
      running = true;
    },
    destroy: () => {
      try {
        if (running) stop();
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
