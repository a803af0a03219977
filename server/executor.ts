/**
 * The executor host: one storage and one executor per process, kept on `globalThis` so dev
 * hot reload does not open more connections or start more loops. Started by Next's
 * instrumentation (web) or by `npm run worker`; SIGTERM / SIGINT shut it down gracefully.
 */
import {
  createConsoleLogger,
  DurableExecutor,
  type DurableExecutorOptions,
  type Logger,
} from '@/server/engine';
import { getServerEnv } from '@/server/env';
import { createPrismaStorage, type PrismaStorage } from '@/server/storage';
import { registerTasks, type RegisteredTasks } from '@/server/tasks';

export interface Durably {
  executor: DurableExecutor;
  storage: PrismaStorage;
  tasks: RegisteredTasks;
  /** Whether this process runs tasks (DURABLY_EXECUTOR=on) or only enqueues and reads. */
  running: boolean;
}

const globalForDurably = globalThis as typeof globalThis & {
  durably?: Promise<Durably>;
};

/** The process's Durably instance, created (and started, unless disabled) on first use. */
export function getDurably(options: { forceExecutor?: boolean } = {}): Promise<Durably> {
  globalForDurably.durably ??= createProcessDurably(options.forceExecutor ?? false).catch(
    (error: unknown) => {
      globalForDurably.durably = undefined;
      throw error;
    },
  );
  return globalForDurably.durably;
}

async function createProcessDurably(forceExecutor: boolean): Promise<Durably> {
  const env = getServerEnv();
  const logger = createConsoleLogger(env.DURABLY_ENABLE_DEBUG);
  const running = forceExecutor || env.DURABLY_EXECUTOR === 'on';
  const durably = await createDurably({
    url: env.DATABASE_URL,
    logger,
    start: running,
    enableDebug: env.DURABLY_ENABLE_DEBUG,
    executorOptions: {
      heartbeatIntervalMs: env.DURABLY_HEARTBEAT_MS,
      retentionMs: env.DURABLY_RETENTION,
    },
  });
  installShutdownHandlers(
    durably.executor,
    durably.storage,
    env.DURABLY_SHUTDOWN_TIMEOUT_MS,
    logger,
  );
  logger.info(
    `Executor ${running ? 'started' : 'disabled (DURABLY_EXECUTOR=off)'} on ${describeUrl(env.DATABASE_URL)}`,
  );
  return durably;
}

/** A Durably instance on `url` with the task catalog registered (tests build their own). */
export async function createDurably(options: {
  url: string;
  logger: Logger;
  start: boolean;
  enableDebug?: boolean;
  executorOptions?: DurableExecutorOptions;
}): Promise<Durably> {
  const storage = await createPrismaStorage({ url: options.url, logger: options.logger });
  const executor = new DurableExecutor(storage, {
    logger: options.logger,
    enableDebug: options.enableDebug ?? false,
    // npm sets it for `npm start` / `npm run worker`; shown on the workers page.
    version: process.env.npm_package_version ?? 'unknown',
    ...options.executorOptions,
  });
  const tasks = registerTasks(executor);
  if (options.start) executor.start();
  return { executor, storage, tasks, running: options.start };
}

function installShutdownHandlers(
  executor: DurableExecutor,
  storage: PrismaStorage,
  timeoutMs: number,
  logger: Logger,
): void {
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(`${signal}: shutting down (waiting up to ${timeoutMs} ms for running tasks)`);
    void executor
      .shutdown({ timeoutMs })
      .then(() => storage.close())
      .catch((error: unknown) => logger.error('Shutdown failed', error))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** The database named without its credentials. */
function describeUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
