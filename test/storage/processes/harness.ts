/** Spawns and stops worker processes (./worker.ts under tsx) for the multi-process tests. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { DurableExecutor } from '@/server/engine';
import type { PrismaStorage } from '@/server/storage';
import { createTestDatabase } from '@/test/helpers/postgres';
import { silentLogger } from '../fixtures';
import { defineWorkload, readRecords } from './tasks';
import type { RunRecord } from './tasks';

const WORKER = join(process.cwd(), 'test', 'storage', 'processes', 'worker.ts');

export interface WorkerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Everything the worker wrote to stderr so far. */
  logs(): string;
  /** SIGTERM, then waits for a graceful exit. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
}

export class WorkerPool {
  readonly recordDir = mkdtempSync(join(tmpdir(), 'durably-records-'));
  private readonly workers: WorkerProcess[] = [];

  constructor(
    private readonly url: string,
    private readonly env: Record<string, string> = {},
  ) {}

  async start(id: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    // `node --import tsx` rather than the tsx binary: signals (SIGKILL above all) must reach
    // the worker itself, not a wrapper process that would leave it orphaned.
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        ...this.env,
        ...env,
        DATABASE_URL: this.url,
        WORKER_ID: id,
        RECORD_DIR: this.recordDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} not ready: ${stderr}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${id} exited with ${code}: ${stderr}`));
      });
    });
    const worker: WorkerProcess = {
      id,
      child,
      logs: () => stderr,
      stop: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      },
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
    this.workers.push(worker);
    return worker;
  }

  records(): RunRecord[] {
    return readRecords(this.recordDir);
  }

  /** Stops every worker still running (killing those that do not exit) and removes records. */
  async dispose(): Promise<void> {
    await Promise.all(
      this.workers.splice(0).map(async (worker) => {
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), 10_000);
        await worker.stop();
        clearTimeout(timer);
      }),
    );
    rmSync(this.recordDir, { recursive: true, force: true });
  }
}

/** An executor in the test process that only enqueues, reads and cancels (never started). */
export function createClient(storage: PrismaStorage) {
  const executor = new DurableExecutor(storage, { logger: silentLogger });
  return { executor, tasks: defineWorkload(executor, () => undefined) };
}

/** Polls until no execution is active, or fails after `timeoutMs`. */
export async function waitUntilIdle(storage: PrismaStorage, total: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { byStatus } = await storage.getExecutionStats();
    const counts = Object.entries(byStatus);
    const sum = counts.reduce((acc, [, count]) => acc + (count ?? 0), 0);
    const active = ['ready', 'running', 'waiting_for_children_tasks', 'waiting_for_finalize_task']
      .map((status) => byStatus[status as keyof typeof byStatus] ?? 0)
      .reduce((a, b) => a + b, 0);
    if (sum >= total && active === 0) return byStatus;
    if (Date.now() > deadline) {
      expect.fail(`still active after ${timeoutMs} ms: ${JSON.stringify(byStatus)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The two databases the multi-process tests run on, as `describe.each` rows: a fresh SQLite
 * file or PostgreSQL database per call, removed after the file's tests.
 */
export function databaseTargets(): [string, () => Promise<string>][] {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  return [
    [
      'SQLite file',
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'durably-mp-'));
        cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
        return Promise.resolve(`file:${join(dir, 'shared.db')}`);
      },
    ],
    [
      'PostgreSQL database',
      async () => {
        const database = await createTestDatabase();
        cleanups.push(() => database.drop());
        return database.url;
      },
    ],
  ];
}
