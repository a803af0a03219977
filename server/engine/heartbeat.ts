/**
 * A started executor's heartbeat: who it is (host, pid, version, tasks) and what it runs,
 * recorded at a backstop tick at most every `intervalMs` and once more, marked stopped, at
 * shutdown. The workers page reads them: an executor not heard from for a few intervals is
 * shown dead, with the executions it was running and when their leases expire.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from './logger';
import type { DurableStorage, ExecutorHeartbeat } from './storage';

/** Heartbeats older than this are deleted by the next executor that beats. */
export const FORGET_EXECUTORS_AFTER_MS = 24 * 60 * 60 * 1000;

export interface HeartbeatDeps {
  storage: DurableStorage;
  taskIds: () => readonly string[];
  runningExecutionIds: () => ReadonlySet<string>;
  version: string;
  intervalMs: number;
  logger: Logger;
}

export class HeartbeatWriter {
  readonly executorId = `ex_${randomBytes(12).toString('base64url')}`;
  private startedAt: number | null = null;
  private lastBeatAt = 0;
  private beating: Promise<void> | null = null;

  constructor(private readonly deps: HeartbeatDeps) {}

  start(): void {
    this.startedAt ??= Date.now();
    this.maybeBeat();
  }

  /** Beats unless the last beat is recent (or still being written). */
  maybeBeat(): void {
    const now = Date.now();
    if (this.startedAt === null || this.beating || now - this.lastBeatAt < this.deps.intervalMs) {
      return;
    }
    this.lastBeatAt = now;
    this.beating = this.beat(now, null).finally(() => (this.beating = null));
  }

  /** The last beat: stopped now, running nothing. */
  async stop(): Promise<void> {
    if (this.startedAt === null) return;
    await this.beating;
    await this.beat(Date.now(), Date.now());
  }

  private async beat(now: number, stoppedAt: number | null): Promise<void> {
    const heartbeat: ExecutorHeartbeat = {
      executorId: this.executorId,
      host: hostname(),
      pid: process.pid,
      version: this.deps.version,
      taskIds: [...this.deps.taskIds()].sort(),
      runningExecutionIds: stoppedAt === null ? [...this.deps.runningExecutionIds()] : [],
      startedAt: this.startedAt ?? now,
      heartbeatAt: now,
      stoppedAt,
    };
    try {
      await this.deps.storage.recordHeartbeat(heartbeat, now - FORGET_EXECUTORS_AFTER_MS);
    } catch (error) {
      this.deps.logger.error('Recording the executor heartbeat failed', error);
    }
  }
}
