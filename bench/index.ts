/**
 * `npm run bench`: every workload on in-memory, SQLite file and PostgreSQL storage, each in a
 * fresh process, with the raw ceiling measured in the same run. Prints a table, or with
 * `--json` one JSON object per workload. PostgreSQL runs on a throw-away cluster with fsync on
 * (durable settings); SQLite in WAL with synchronous=NORMAL.
 * Each figure is the median of --runs runs (default 3), each in a fresh process on a fresh
 * database, with the other runs' range in its details: this machine's speed drifts by 10-30%
 * from one minute to the next, and one run alone says little.
 * On PostgreSQL the awaited workloads also run on graphile-worker in the same run, interleaved
 * with Durably's, each system on its defaults, with PostgreSQL's commits and WAL flushes per
 * job beside each figure (./comparison.ts).
 * Options: --json, --stores memory,sqlite,postgres, --runs N, --skip-api, --skip-peer
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '@/test/helpers/pgCluster';
import { comparePostgres, printComparison, type ComparisonRow } from './comparison';

interface Row {
  workload: string;
  store: string;
  value: number;
  unit: string;
  peakRssMb: number;
  ceiling?: number;
  ratioToCeiling?: number;
  details: Record<string, number>;
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const storesArg = args[args.indexOf('--stores') + 1];
const stores = (
  args.includes('--stores') && storesArg ? storesArg : 'memory,sqlite,postgres'
).split(',');
const runsArg = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
if (!Number.isInteger(runsArg) || runsArg < 1) throw new Error('--runs takes a positive integer');
const runs = runsArg;
const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

type Measurement = Awaited<ReturnType<typeof runJson>>;

/**
 * Runs `measure` `runs` times; the run with the median value (the lower middle one for an
 * even count) stands for all of them, with the lowest and highest values and the largest peak
 * RSS of all runs.
 */
async function medianOf(measure: () => Promise<Measurement>): Promise<Measurement> {
  const results: Measurement[] = [];
  for (let i = 0; i < runs; i++) results.push(await measure());
  const sorted = [...results].sort((a, b) => a.value - b.value);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (runs === 1) return median;
  return {
    ...median,
    peakRssMb: Math.max(...results.map((r) => r.peakRssMb)),
    details: { ...median.details, runs, min: sorted[0]!.value, max: sorted.at(-1)!.value },
  };
}

async function main() {
  const workDir = mkdtempSync(join(tmpdir(), 'durably-bench-'));
  let cluster: PgCluster | undefined;
  let databases = 0;
  const rows: Row[] = [];
  let comparison: ComparisonRow[] = [];
  const targetFor = async (store: string): Promise<string> => {
    if (store === 'memory') return 'memory';
    if (store === 'sqlite') return `file:${join(workDir, `bench-${databases++}.db`)}`;
    // Its own parent folder: postgres must be able to traverse it (mkdtemp folders are 0700).
    cluster ??= await startPgCluster(join(tmpdir(), 'durably-bench-pg'), { durable: true });
    const name = `bench_${databases++}`;
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    return cluster.url(name);
  };
  try {
    const withApi = !args.includes('--skip-api');
    if (withApi && !existsSync('.next/BUILD_ID')) await run('npm', ['run', 'build'], 'inherit');
    for (const store of stores) {
      const ceiling =
        store === 'memory'
          ? undefined
          : (await medianOf(async () => runJson(['ceiling', await targetFor(store)]))).value;
      const measure = async (
        workload: string,
        executions: number,
        runOnce: (target: string) => Promise<Measurement>,
      ) => {
        const result = await medianOf(async () => runOnce(await targetFor(store)));
        report(
          { workload, store, ...result, ...againstCeiling(result, ceiling, executions) },
          rows,
        );
      };
      const inProcess = (workload: string) => (target: string) => runJson([workload, target]);
      await measure('W1 throughput (2,000 tasks)', 2_000, inProcess('throughput'));
      if (store !== 'postgres') {
        // On PostgreSQL W1a and W6 run in the comparison with graphile-worker below.
        await measure('W1a awaited enqueues (2,000 tasks)', 2_000, inProcess('awaited'));
      }
      await measure(
        'W1 with concurrency limits and priorities',
        2_000,
        inProcess('throughputFlowControl'),
      );
      await measure('W2 latency (enqueue -> finished)', 1, inProcess('latency'));
      // The parent, its 500 children and the finalize task.
      await measure('W3 fan-out (500 children + finalize)', 502, inProcess('fanOut'));
      if (store === 'memory') continue;
      await measure('W2 latency, task run by another process', 1, (target) =>
        withWorkers(1, target, 'latencyEnqueueOnly'),
      );
      if (store === 'sqlite') {
        await measure('W6 awaited enqueues, 4 worker processes', 2_000, (target) =>
          withWorkers(4, target, 'awaitedEnqueueOnly'),
        );
      }
      if (store === 'postgres') {
        await measure('W1 throughput, 4 worker processes', 2_000, (target) =>
          withWorkers(4, target, 'throughputEnqueueOnly'),
        );
      }
      if (withApi) {
        await measure('W4 API latency (HTTP, enqueue + wait)', 1, (target) =>
          runJson([target], 'bench/apiLatency.ts'),
        );
      }
    }
    if (stores.includes('postgres') && !args.includes('--skip-peer')) {
      comparison = await comparePostgres({
        runs,
        newDatabase: () => targetFor('postgres'),
        durably: (workload, url) =>
          workload === 'W6'
            ? withWorkers(4, url, 'awaitedEnqueueOnly')
            : runJson([DURABLY_MODE[workload], url]),
        graphile: (workload, url) =>
          workload === 'W6'
            ? graphileWithWorkers(4, url)
            : runJson([GRAPHILE_MODE[workload], url], 'bench/graphile.ts'),
        onRow: (row) => {
          if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
          else process.stderr.write(`  done: ${row.workload} (Durably and graphile-worker)\n`);
        },
      });
    }
  } finally {
    cluster?.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
  if (!json) {
    printTable(rows);
    if (comparison.length > 0) printComparison(comparison);
  }
}

const DURABLY_MODE = { W1a: 'awaited', W2: 'latency', W1: 'throughput' } as const;
const GRAPHILE_MODE = { W1a: 'awaited', W2: 'latency', W1: 'burst' } as const;

/**
 * graphile-worker's W6: `count` worker processes, and a producer process that adds the jobs
 * one awaited call at a time; the time runs from the producer's start to the last completion
 * any worker reports.
 */
async function graphileWithWorkers(count: number, url: string): Promise<Measurement> {
  const spawnGraphile = (mode: string) =>
    spawn(tsx, ['bench/graphile.ts', mode, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  const producer = spawnGraphile('producer');
  let producerOutput = '';
  producer.stdout.on('data', (chunk: Buffer) => (producerOutput += chunk.toString()));
  const producerExit = new Promise<void>((resolve, reject) =>
    producer.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`producer ${code}`)),
    ),
  );
  // The producer migrates graphile-worker's schema before any worker starts.
  await new Promise<void>((resolve) => {
    const check = () => (producerOutput.includes('ready') ? resolve() : setTimeout(check, 20));
    check();
  });
  const done = Array.from({ length: count }, () => 0);
  const workers = Array.from({ length: count }, (_, index) => {
    const worker = spawnGraphile('worker');
    worker.stdout.on('data', (chunk: Buffer) => {
      const counts = [...chunk.toString().matchAll(/done (\d+)/g)];
      const last = counts.at(-1);
      if (last) done[index] = Number(last[1]);
    });
    return worker;
  });
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.stdout.once('data', () => resolve());
            worker.once('exit', (code) => reject(new Error(`graphile worker exited ${code}`)));
          }),
      ),
    );
    const started = performance.now();
    producer.stdin.write('go\n');
    await new Promise<void>((resolve) => {
      const check = () =>
        done.reduce((a, b) => a + b, 0) >= 2_000 ? resolve() : setTimeout(check, 5);
      check();
    });
    const totalMs = performance.now() - started;
    await producerExit;
    const produced = JSON.parse(producerOutput.trim().split('\n').pop() ?? '{}') as Measurement;
    return {
      value: Math.round((2_000 / totalMs) * 1000),
      unit: 'tasks/s',
      peakRssMb: produced.peakRssMb,
      details: { ...produced.details, totalMs: Math.round(totalMs) },
    };
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(
      workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))),
    );
  }
}

/**
 * The raw ceiling (tasks/s: the same three row writes per execution, without the engine)
 * and the figure's speed as a share of it: for a rate, rate / ceiling; for a time over
 * `executions` executions, the time the raw writes take for them / the time measured.
 */
function againstCeiling(
  result: Measurement,
  ceiling: number | undefined,
  executions: number,
): Pick<Row, 'ceiling' | 'ratioToCeiling'> {
  if (ceiling === undefined) return {};
  const share =
    result.unit === 'tasks/s'
      ? result.value / ceiling
      : ((executions / ceiling) * 1000) / result.value;
  return { ceiling, ratioToCeiling: Math.round(share * 100) / 100 };
}

function report(row: Row, rows: Row[]): void {
  rows.push(row);
  if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else process.stderr.write(`  done: ${row.workload} on ${row.store}\n`);
}

/** `count` worker processes run the tasks while a process without an executor enqueues and waits. */
async function withWorkers(count: number, url: string, workload: string) {
  const workers = Array.from({ length: count }, () =>
    spawn(tsx, ['bench/worker.ts', url], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.stdout.once('data', () => resolve());
            worker.once('exit', (code) => reject(new Error(`Worker exited with ${code}`)));
          }),
      ),
    );
    return await runJson([workload, url]);
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(
      workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))),
    );
  }
}

async function runJson(
  workloadArgs: string[],
  script = 'bench/runWorkload.ts',
): Promise<{ value: number; unit: string; peakRssMb: number; details: Record<string, number> }> {
  const output = await run(tsx, [script, ...workloadArgs], 'pipe');
  const line = output.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as {
    value: number;
    unit: string;
    peakRssMb: number;
    details: Record<string, number>;
  };
}

function run(command: string, commandArgs: string[], stdout: 'pipe' | 'inherit'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', stdout, 'inherit'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${commandArgs.join(' ')} exited ${code}`)),
    );
  });
}

function printTable(rows: Row[]): void {
  const header = ['workload', 'store', 'result', 'raw ceiling', 'ratio', 'peak RSS', 'details'];
  const body = rows.map((row) => [
    row.workload,
    row.store,
    `${row.value} ${row.unit}`,
    row.ceiling === undefined ? '' : `${row.ceiling} tasks/s`,
    row.ratioToCeiling === undefined ? '' : `${row.ratioToCeiling}x`,
    `${row.peakRssMb} MB`,
    Object.entries(row.details)
      .map(([key, value]) => `${key}=${value}`)
      .join(' '),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((cells) => cells[i]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
