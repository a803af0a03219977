/**
 * The benchmark workloads, each measured in-process against one storage. Tasks are no-ops,
 * so the figures are the engine's and the store's cost per execution.
 */
import { DurableExecutor, type DurableStorage, type DurableStorageQueries } from '@/server/engine';

export type BenchStorage = DurableStorage & Partial<DurableStorageQueries>;

export interface WorkloadResult {
  /** The headline figure of the workload (see `unit`). */
  value: number;
  unit: string;
  details: Record<string, number>;
}

const quiet = {
  debug: () => {},
  info: () => {},
  error: (m: string, e?: unknown) => console.error(m, e),
};

/**
 * The store, counting the executor's calls to it: calls per job is a figure the machine's load
 * does not blur (nor is CPU time per job, measured beside it).
 */
function countingCalls(storage: BenchStorage): { storage: BenchStorage; calls: () => number } {
  let calls = 0;
  const counted = new Proxy(storage, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { storage: counted, calls: () => calls };
}

function newExecutor(storage: BenchStorage, start: boolean): DurableExecutor {
  const executor = new DurableExecutor(storage, { logger: quiet });
  const noop = executor.task({ id: 'noop', timeoutMs: 30_000, run: () => null });
  const sum = executor.task({
    id: 'sum',
    timeoutMs: 30_000,
    run: (_ctx, { childrenTasksOutputs }: { childrenTasksOutputs: unknown[] }) =>
      childrenTasksOutputs.length,
  });
  executor.parentTask({
    id: 'fanOut500',
    timeoutMs: 30_000,
    runParent: () => ({
      output: null,
      childrenTasks: Array.from({ length: 500 }, () => ({ task: noop, input: undefined })),
    }),
    finalizeTask: sum,
  });
  // W1 with flow control: limits high enough never to hold anything back, so the figure is
  // what counting keys in the claim costs.
  executor.task({
    id: 'noopLimited',
    timeoutMs: 30_000,
    concurrency: { limit: 1_000, key: (n: number) => `tenant-${n % 8}` },
    run: () => null,
  });
  if (start) executor.start();
  return executor;
}

/**
 * W1: 2,000 enqueueTask calls at once, until all completed. Tasks per second. The waits use
 * default options, as W2's do: a short polling interval would only add reads, since finishes
 * are announced.
 */
export async function throughput(
  storage: BenchStorage,
  runsInProcess = true,
  withFlowControl = false,
): Promise<WorkloadResult> {
  const executor = newExecutor(storage, runsInProcess);
  const count = 2_000;
  const started = performance.now();
  const handles = await Promise.all(
    Array.from({ length: count }, (_, n) =>
      withFlowControl
        ? executor.enqueueTask({ id: 'noopLimited' }, n, { priority: n % 3 })
        : executor.enqueueTask({ id: 'noop' }, undefined),
    ),
  );
  const enqueuedMs = performance.now() - started;
  const finished = await Promise.all(
    handles.map((handle) => handle.waitAndGetTaskFinishedExecution()),
  );
  const totalMs = performance.now() - started;
  await executor.shutdown();
  const failed = finished.filter((execution) => execution.status !== 'completed').length;
  if (failed > 0) throw new Error(`${failed} executions did not complete`);
  return {
    value: Math.round((count / totalMs) * 1000),
    unit: 'tasks/s',
    details: { count, enqueuedMs: Math.round(enqueuedMs), totalMs: Math.round(totalMs) },
  };
}

/**
 * W1a: 2,000 enqueues awaited one by one (as a request handler or a loop enqueues), until all
 * completed. Tasks per second. With `runsInProcess` false, worker processes run them (W6).
 */
export async function awaitedThroughput(
  storage: BenchStorage,
  runsInProcess = true,
): Promise<WorkloadResult> {
  const counting = countingCalls(storage);
  const executor = newExecutor(counting.storage, runsInProcess);
  const count = 2_000;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const handles = [];
  for (let i = 0; i < count; i++)
    handles.push(await executor.enqueueTask({ id: 'noop' }, undefined));
  const enqueuedMs = performance.now() - started;
  const finished = await Promise.all(
    handles.map((handle) => handle.waitAndGetTaskFinishedExecution()),
  );
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const calls = counting.calls();
  await executor.shutdown();
  const failed = finished.filter((execution) => execution.status !== 'completed').length;
  if (failed > 0) throw new Error(`${failed} executions did not complete`);
  return {
    value: Math.round((count / totalMs) * 1000),
    unit: 'tasks/s',
    details: {
      count,
      enqueueMsEach: Math.round((enqueuedMs / count) * 1000) / 1000,
      totalMs: Math.round(totalMs),
      // This process's CPU and store calls, per job.
      cpuMsEach: Math.round(((cpu.user + cpu.system) / 1000 / count) * 1000) / 1000,
      storeCallsEach: Math.round((calls / count) * 100) / 100,
    },
  };
}

/** W2: 200 times in sequence, enqueue one task and wait for it. Latency percentiles. */
export async function latency(
  storage: BenchStorage,
  runsInProcess = true,
): Promise<WorkloadResult> {
  const executor = newExecutor(storage, runsInProcess);
  const samples: number[] = [];
  for (let i = 0; i < 220; i++) {
    const started = performance.now();
    const handle = await executor.enqueueTask({ id: 'noop' }, undefined);
    await handle.waitAndGetTaskFinishedExecution();
    if (i >= 20) samples.push(performance.now() - started); // the first 20 warm up
  }
  await executor.shutdown();
  return { value: percentile(samples, 50), unit: 'ms p50', details: percentiles(samples) };
}

/** W3: a parent with 500 children and a finalize: enqueue until the parent completed. */
export async function fanOut(storage: BenchStorage): Promise<WorkloadResult> {
  const executor = newExecutor(storage, true);
  const started = performance.now();
  const handle = await executor.enqueueTask({ id: 'fanOut500' }, undefined);
  const finished = await handle.waitAndGetTaskFinishedExecution();
  const totalMs = performance.now() - started;
  await executor.shutdown();
  if (finished.status !== 'completed') throw new Error(`Parent ended ${finished.status}`);
  return { value: Math.round(totalMs), unit: 'ms', details: { children: 500 } };
}

export function percentiles(samples: number[]): Record<string, number> {
  return {
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
  };
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 100) / 100;
}
