/**
 * A process that sends one wakeup to the sleeping task `approval` and prints what it returned
 * as JSON (or the error's class and message). Arguments: url, uniqueId, approver.
 */
import { DurableExecutor } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';

const [url, uniqueId, by] = process.argv.slice(2) as [string, string, string];
const quiet = { debug: () => undefined, info: () => undefined, error: () => undefined };
const storage = await createPrismaStorage({ url, logger: quiet, listen: false });
const executor = new DurableExecutor(storage, { logger: quiet });
const approval = executor.sleepingTask<{ by: string }>({ id: 'approval', timeoutMs: 60_000 });
try {
  const result = await executor.wakeupSleepingTaskExecution(approval, uniqueId, {
    status: 'completed',
    output: { by },
  });
  process.stdout.write(`${JSON.stringify({ kind: result.kind })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).name })}\n`);
}
await executor.shutdown();
await storage.close();
// The stdio pipes of a spawned process may keep it alive: it is done.
process.exit(0);
