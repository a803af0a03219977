/**
 * A process that commits an app write and an enqueue in ONE app transaction, says so on
 * stdout, then kills itself with SIGKILL, before any executor could run the execution:
 * whatever survives is what the database committed. Arguments: provider, url, user id.
 */
import { createPrismaStorage } from '@/server/storage';
import { DurableExecutor } from '@/server/engine';
import { defineWorkload } from '@/test/storage/processes/tasks';
import { openAppClient, type Provider } from './appDatabase';

const [provider, url, userId] = process.argv.slice(2) as [Provider, string, string];
const quiet = { debug: () => undefined, info: () => undefined, error: () => undefined };

const storage = await createPrismaStorage({ url, logger: quiet, listen: false });
const executor = new DurableExecutor(storage, { logger: quiet });
const { leaf } = defineWorkload(executor, () => undefined);
const app = openAppClient(provider, url);

const handle = await app.$transaction(async (tx) => {
  await tx.user.create({ data: { id: userId, email: `${userId}@example.com`, name: 'Ada' } });
  return executor.enqueueTask(leaf, { n: 1, sleepMs: 0 }, { tx });
});
process.stdout.write(`committed ${handle.getTaskExecutionId()}\n`, () => {
  process.kill(process.pid, 'SIGKILL');
});
