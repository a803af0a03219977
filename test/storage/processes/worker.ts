/**
 * A worker process for the multi-process tests: an executor on DATABASE_URL running the
 * workload of ./tasks.ts, recording every run under RECORD_DIR. Prints `ready` once started;
 * SIGTERM shuts it down gracefully. Logs go to stderr, one line each.
 */
import { DurableExecutor } from '@/server/engine';
import type { Logger } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';
import { defineWorkload, fileRecorder } from './tasks';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const worker = env('WORKER_ID');
const logger: Logger = {
  debug: () => undefined,
  info: (message) => process.stderr.write(`[${worker}] info ${message}\n`),
  error: (message, error) =>
    process.stderr.write(
      `[${worker}] error ${message}${error instanceof Error ? `: ${error.message}` : ''}\n`,
    ),
};

async function main(): Promise<void> {
  const spansFile = process.env.OTEL_SPANS_FILE;
  if (spansFile) (await import('./spanFile')).recordSpansTo(spansFile);
  const storage = await createPrismaStorage({ url: env('DATABASE_URL'), logger });
  const executor = new DurableExecutor(storage, {
    logger,
    expireMs: Number(env('EXPIRE_MS', '60000')),
    backgroundProcessIntraBatchSleepMs: Number(env('POLL_MS', '200')),
    maxConcurrentTaskExecutions: Number(env('MAX_CONCURRENT', '1000')),
  });
  defineWorkload(executor, fileRecorder(env('RECORD_DIR'), worker));
  executor.start();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void executor
      .shutdown({ timeoutMs: 5000 })
      .then(() => storage.close())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[${worker}] fatal ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
