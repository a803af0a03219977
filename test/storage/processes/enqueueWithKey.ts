/**
 * A process that enqueues the same idempotency key many times at once, on a signal: it prints
 * `ready` once connected, waits for a line on stdin, enqueues COUNT times concurrently, and
 * prints the outcome as JSON. Arguments: url, key, count.
 */
import { createInterface } from 'node:readline';
import { DurableExecutor } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';
import { defineWorkload } from './tasks';

const [url, key, count] = process.argv.slice(2) as [string, string, string];
const quiet = { debug: () => undefined, info: () => undefined, error: () => undefined };
const storage = await createPrismaStorage({ url, logger: quiet, listen: false });
const executor = new DurableExecutor(storage, { logger: quiet });
const { leaf } = defineWorkload(executor, () => undefined);
process.stdout.write('ready\n');
await new Promise<void>((resolve) =>
  createInterface({ input: process.stdin }).once('line', () => resolve()),
);
const handles = await Promise.all(
  Array.from({ length: Number(count) }, (_, n) =>
    executor.enqueueTask(leaf, { n, sleepMs: 0 }, { idempotencyKey: key }),
  ),
);
process.stdout.write(
  `${JSON.stringify({
    created: handles.filter((handle) => handle.created).length,
    ids: [...new Set(handles.map((handle) => handle.getTaskExecutionId()))],
  })}\n`,
);
await executor.shutdown();
await storage.close();
// The stdio pipes of a spawned process may keep it alive: it is done.
process.exit(0);
