/**
 * Runs one workload on one store in this process and prints one JSON line: the workload's
 * figures plus the process's peak RSS. `bench/index.ts` runs each in a fresh process.
 * Usage: tsx bench/runWorkload.ts <throughput|latency|fanOut|ceiling> <memory|file:...|postgresql://...>
 */
import { createInMemoryStorage } from '@/server/engine';
import { createPrismaStorage } from '@/server/storage';
import { rawCeiling } from './ceiling';
import {
  awaitedThroughput,
  fanOut,
  latency,
  throughput,
  type BenchStorage,
  type WorkloadResult,
} from './workloads';

const [workload = '', target = 'memory'] = process.argv.slice(2);
const quiet = {
  debug: () => {},
  info: () => {},
  error: (m: string, e?: unknown) => console.error(m, e),
};

async function withStorage(fn: (storage: BenchStorage) => Promise<WorkloadResult>) {
  if (target === 'memory') return fn(createInMemoryStorage());
  const storage = await createPrismaStorage({ url: target, logger: quiet });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

async function main(): Promise<WorkloadResult> {
  switch (workload) {
    case 'throughput':
      return withStorage((storage) => throughput(storage));
    case 'throughputFlowControl':
      // W1 with a concurrency limit per key and priorities on every execution.
      return withStorage((storage) => throughput(storage, true, true));
    case 'awaited':
      return withStorage((storage) => awaitedThroughput(storage));
    case 'awaitedEnqueueOnly':
      // The producer of W6: awaited enqueues, worker processes run them.
      return withStorage((storage) => awaitedThroughput(storage, false));
    case 'throughputEnqueueOnly':
      // The enqueuing process of the multi-process run: its executor runs nothing.
      return withStorage((storage) => throughput(storage, false));
    case 'latency':
      return withStorage((storage) => latency(storage));
    case 'latencyEnqueueOnly':
      // The waiting process of the cross-process run: a worker process runs the tasks.
      return withStorage((storage) => latency(storage, false));
    case 'fanOut':
      return withStorage(fanOut);
    case 'ceiling':
      return rawCeiling(target);
    default:
      throw new Error(`Unknown workload ${workload}`);
  }
}

main()
  .then((result) => {
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(`${JSON.stringify({ ...result, peakRssMb })}\n`);
    process.exit(0);
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
