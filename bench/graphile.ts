/**
 * The same workloads on graphile-worker 0.17.3 (the peer a PostgreSQL user would pick), each
 * on its defaults (concurrency 1 per worker, LISTEN/NOTIFY plus a 2 s poll), so that
 * `npm run bench` compares both in one run on one cluster. Bench only: never imported by the
 * app. Usage: tsx bench/graphile.ts <awaited|latency|burst|producer|worker> <postgresql://...>
 */
import { Logger, makeWorkerUtils, run, type Runner } from 'graphile-worker';
import { percentiles, type WorkloadResult } from './workloads';

const [mode = '', url = ''] = process.argv.slice(2);
const COUNT = 2_000;

const quietLogger = new Logger(() => (level, message) => {
  // LogLevel is a const enum (not importable here): compare its string value.
  if (String(level) === 'error') console.error(message);
});

/** A worker in this process whose completions resolve waiters by job id. */
async function startRunner(): Promise<{
  runner: Runner;
  completed: (id: string) => Promise<void>;
}> {
  const waiters = new Map<string, () => void>();
  const done = new Set<string>();
  const runner = await run({
    connectionString: url,
    noHandleSignals: true,
    logger: quietLogger,
    taskList: { noop: () => undefined },
  });
  runner.events.on('job:complete', ({ job }) => {
    const id = String(job.id);
    done.add(id);
    waiters.get(id)?.();
  });
  return {
    runner,
    completed: (id) =>
      done.has(id) ? Promise.resolve() : new Promise((resolve) => waiters.set(id, resolve)),
  };
}

/** W1a: 2,000 addJob calls awaited one by one, the worker in this process. */
async function awaited(): Promise<WorkloadResult> {
  const { runner, completed } = await startRunner();
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i++) ids.push(String((await runner.addJob('noop', {})).id));
  const enqueuedMs = performance.now() - started;
  await Promise.all(ids.map(completed));
  const totalMs = performance.now() - started;
  await runner.stop();
  return {
    value: Math.round((COUNT / totalMs) * 1000),
    unit: 'tasks/s',
    details: {
      count: COUNT,
      enqueueMsEach: Math.round((enqueuedMs / COUNT) * 1000) / 1000,
      totalMs: Math.round(totalMs),
    },
  };
}

/** W1: 2,000 addJob calls at once. */
async function burst(): Promise<WorkloadResult> {
  const { runner, completed } = await startRunner();
  const started = performance.now();
  const jobs = await Promise.all(Array.from({ length: COUNT }, () => runner.addJob('noop', {})));
  await Promise.all(jobs.map((job) => completed(String(job.id))));
  const totalMs = performance.now() - started;
  await runner.stop();
  return {
    value: Math.round((COUNT / totalMs) * 1000),
    unit: 'tasks/s',
    details: { count: COUNT, totalMs: Math.round(totalMs) },
  };
}

/** W2: 200 times in sequence, add one job and wait for its completion. */
async function latency(): Promise<WorkloadResult> {
  const { runner, completed } = await startRunner();
  const samples: number[] = [];
  for (let i = 0; i < 220; i++) {
    const started = performance.now();
    const job = await runner.addJob('noop', {});
    await completed(String(job.id));
    if (i >= 20) samples.push(performance.now() - started);
  }
  await runner.stop();
  return { value: percentiles(samples).p50!, unit: 'ms p50', details: percentiles(samples) };
}

/** W6's producer: awaited addJob calls; worker processes report their completions. */
async function producer(): Promise<WorkloadResult> {
  const utils = await makeWorkerUtils({ connectionString: url, logger: quietLogger });
  await utils.migrate();
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) await utils.addJob('noop', {});
  const enqueuedMs = performance.now() - started;
  await utils.release();
  return {
    value: 0,
    unit: 'tasks/s',
    details: { count: COUNT, enqueueMsEach: Math.round((enqueuedMs / COUNT) * 1000) / 1000 },
  };
}

/** W6's workers: runs jobs, printing how many it completed (at most every 20 ms). */
async function worker(): Promise<void> {
  const { runner } = await startRunner();
  let completed = 0;
  let reported = 0;
  runner.events.on('job:complete', () => (completed += 1));
  setInterval(() => {
    if (completed === reported) return;
    reported = completed;
    process.stdout.write(`done ${completed}\n`);
  }, 20);
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void runner.stop().finally(() => process.exit(0));
  });
}

const modes: Record<string, () => Promise<WorkloadResult | void>> = {
  awaited,
  burst,
  latency,
  producer,
  worker,
};

const chosen = modes[mode];
if (!chosen) throw new Error(`Unknown graphile mode ${mode}`);
chosen().then(
  (result) => {
    if (!result) return;
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(`${JSON.stringify({ ...result, peakRssMb })}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
