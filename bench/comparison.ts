/**
 * Durably against graphile-worker on one PostgreSQL cluster, in one run: each round runs every
 * workload on both systems in turn (interleaved, so that the machine's drift from one minute to
 * the next touches both alike), each on a fresh database, and reads PostgreSQL's commits and
 * WAL flushes around it. A figure is the median of the rounds.
 */
import { perExecution, readPgCounters } from './pgCounters';

export type ComparedWorkload = 'W1a' | 'W2' | 'W6' | 'W1';

export const COMPARED: { workload: ComparedWorkload; title: string; executions: number }[] = [
  {
    workload: 'W1a',
    title: 'W1a 2,000 awaited enqueues, 1 worker in the process',
    executions: 2_000,
  },
  { workload: 'W2', title: 'W2 enqueue -> finished, one at a time', executions: 220 },
  { workload: 'W6', title: 'W6 2,000 awaited enqueues, 4 worker processes', executions: 2_000 },
  {
    workload: 'W1',
    title: 'W1 2,000 enqueues at once, 1 worker in the process',
    executions: 2_000,
  },
];

export interface Measurement {
  value: number;
  unit: string;
  peakRssMb: number;
  details: Record<string, number>;
}

export interface SystemResult extends Measurement {
  commitsPerJob: number;
  walSyncsPerJob: number;
  runs: number[];
}

export interface ComparisonRow {
  workload: ComparedWorkload;
  title: string;
  durably: SystemResult;
  graphile: SystemResult;
  /** Durably's figure as a multiple of graphile-worker's (higher is better for Durably). */
  ratio: number;
}

interface ComparisonOptions {
  runs: number;
  newDatabase: () => Promise<string>;
  durably: (workload: ComparedWorkload, url: string) => Promise<Measurement>;
  graphile: (workload: ComparedWorkload, url: string) => Promise<Measurement>;
  onRow: (row: ComparisonRow) => void;
}

type Sample = Measurement & { commitsPerJob: number; walSyncsPerJob: number };

export async function comparePostgres(options: ComparisonOptions): Promise<ComparisonRow[]> {
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < options.runs; round++) {
    for (const { workload, executions } of COMPARED) {
      for (const system of ['durably', 'graphile'] as const) {
        const url = await options.newDatabase();
        const before = await readPgCounters(url);
        const result = await options[system](workload, url);
        // The workload's backends publish their counters as they exit.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const after = await readPgCounters(url);
        const key = `${workload}/${system}`;
        samples.set(key, [
          ...(samples.get(key) ?? []),
          { ...result, ...perExecution(before, after, executions) },
        ]);
      }
    }
  }
  return COMPARED.map(({ workload, title }) => {
    const durably = median(samples.get(`${workload}/durably`)!);
    const graphile = median(samples.get(`${workload}/graphile`)!);
    const faster = durably.unit === 'tasks/s';
    const ratio = faster ? durably.value / graphile.value : graphile.value / durably.value;
    const row = { workload, title, durably, graphile, ratio: Math.round(ratio * 100) / 100 };
    options.onRow(row);
    return row;
  });
}

/** The sample with the median value (the lower middle one for an even count). */
function median(samples: Sample[]): SystemResult {
  const sorted = [...samples].sort((a, b) => a.value - b.value);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    ...chosen,
    peakRssMb: Math.max(...samples.map((s) => s.peakRssMb)),
    runs: samples.map((s) => s.value),
  };
}

export function printComparison(rows: ComparisonRow[]): void {
  const header = [
    'workload (PostgreSQL, fsync on)',
    'Durably',
    'graphile-worker 0.17.3',
    'Durably / graphile',
    'commits/job D / G',
    'WAL syncs/job D / G',
    'details (Durably)',
  ];
  const figure = (r: SystemResult) => `${r.value} ${r.unit} (${r.runs.join(', ')})`;
  const body = rows.map((row) => [
    row.title,
    figure(row.durably),
    figure(row.graphile),
    `${row.ratio}x`,
    `${row.durably.commitsPerJob} / ${row.graphile.commitsPerJob}`,
    `${row.durably.walSyncsPerJob} / ${row.graphile.walSyncsPerJob}`,
    Object.entries(row.durably.details)
      .map(([key, value]) => `${key}=${value}`)
      .join(' '),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((cells) => cells[i]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    ['', line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'),
  );
}
