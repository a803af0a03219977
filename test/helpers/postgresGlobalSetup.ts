/**
 * Vitest global setup: checks that PostgreSQL can be had (an installed server to start, or
 * DURABLY_TEST_DATABASE_URL), failing the run at once with one line saying what to install
 * otherwise; provides a state directory in which test/helpers/postgres.ts starts one cluster
 * lazily (only when a test file asks for a database), and stops it at the end of the run.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  CLUSTER_INFO_FILE,
  findPgBinDir,
  POSTGRES_MISSING,
  stopPgClusterDir,
  testDatabaseUrl,
} from './pgCluster';

export default function setup(project: TestProject): () => void {
  if (!testDatabaseUrl() && !findPgBinDir()) {
    console.error(POSTGRES_MISSING);
    process.exit(1);
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'durably-pg-state-'));
  chmodSync(stateDir, 0o755); // the cluster inside runs as user postgres
  project.provide('durablyPgStateDir', stateDir);
  return () => {
    const file = join(stateDir, CLUSTER_INFO_FILE);
    try {
      if (existsSync(file)) {
        const { dir } = JSON.parse(readFileSync(file, 'utf8')) as { dir: string };
        stopPgClusterDir(dir);
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
}
