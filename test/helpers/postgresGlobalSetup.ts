/**
 * Vitest global setup: provides a state directory in which test/helpers/postgres.ts starts
 * one PostgreSQL cluster lazily (only when a test file asks for a database), and stops that
 * cluster at the end of the run. Costs nothing when no test needs PostgreSQL.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CLUSTER_INFO_FILE, stopPgClusterDir } from './pgCluster';

export default function setup(project: TestProject): () => void {
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
