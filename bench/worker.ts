/** A worker process of the multi-process throughput run: runs `noop` tasks until killed. */
import { DurableExecutor } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';

const url = process.argv[2] ?? '';
const quiet = {
  debug: () => {},
  info: () => {},
  error: (m: string, e?: unknown) => console.error(m, e),
};
const storage = await createPrismaStorage({ url, logger: quiet });
const executor = new DurableExecutor(storage, { logger: quiet });
executor.task({ id: 'noop', timeoutMs: 30_000, run: () => null });
executor.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void executor
    .shutdown({ timeoutMs: 2_000 })
    .then(() => storage.close())
    .finally(() => process.exit(0));
});
