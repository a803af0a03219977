/**
 * Throughput, latency, failure rate and backlog over a recent window, from three grouped
 * counts the store makes over its time indexes (see `DurableStorageQueries.getMetricsCounts`).
 * Durations are counted in fixed bins, so percentiles are read off a histogram (each is the
 * upper edge of its bin) and the store never sends single rows, however many there are.
 */
import type { DurableStorageQueries } from './storage';
import { ACTIVE_STATUSES, FINISHED_STATUSES, type FinishedTaskExecutionStatus } from './types';

/** Upper edges of the duration bins, in ms; the last bin holds everything longer. */
export const DURATION_BIN_EDGES_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000,
  3_600_000,
] as const;

/** The bin of a duration (for stores that count in memory). */
export function durationBin(ms: number): number {
  const index = DURATION_BIN_EDGES_MS.findIndex((edge) => ms < edge);
  return index === -1 ? DURATION_BIN_EDGES_MS.length : index;
}

export type MetricsWindow = 'hour' | 'day';

const WINDOWS: Record<MetricsWindow, { spanMs: number; bucketMs: number }> = {
  hour: { spanMs: 60 * 60_000, bucketMs: 60_000 },
  day: { spanMs: 24 * 60 * 60_000, bucketMs: 20 * 60_000 },
};

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

export interface MetricsPoint {
  /** The bucket's start (ms since the epoch). */
  start: number;
  finished: Partial<Record<FinishedTaskExecutionStatus, number>>;
  enqueued: number;
  /** Failed, timed out or cancelled among the finished; null when none finished. */
  failureRate: number | null;
  run: Percentiles;
  queueWait: Percentiles;
  /** Active executions at the bucket's end (derived back from the count now). */
  backlog: number;
}

export interface ExecutionMetrics {
  window: MetricsWindow;
  bucketMs: number;
  taskId: string | null;
  points: MetricsPoint[];
  totals: Omit<MetricsPoint, 'start' | 'backlog'> & { backlogNow: number };
}

const FAILURES: readonly FinishedTaskExecutionStatus[] = FINISHED_STATUSES.filter(
  (status) => status !== 'completed',
);

export async function executionMetrics(
  queries: Pick<DurableStorageQueries, 'getMetricsCounts' | 'getExecutionStats'>,
  window: MetricsWindow,
  taskId: string | null,
  now: number,
): Promise<ExecutionMetrics> {
  const { spanMs, bucketMs } = WINDOWS[window];
  const bucketCount = spanMs / bucketMs;
  // Buckets aligned to the clock, the last one holding now.
  const since = Math.floor(now / bucketMs) * bucketMs - (bucketCount - 1) * bucketMs;
  const [counts, stats] = await Promise.all([
    queries.getMetricsCounts({ since, bucketMs, ...(taskId ? { taskId } : {}) }),
    queries.getExecutionStats(),
  ]);
  const backlogNow = stats.byTask
    .filter((entry) => (taskId === null || entry.taskId === taskId) && isActive(entry.status))
    .reduce((sum, entry) => sum + entry.count, 0);

  const points = Array.from({ length: bucketCount }, (_, index) => ({
    start: since + index * bucketMs,
    ...emptyCounts(),
  }));
  const at = (bucket: number) => points[bucket];
  for (const row of counts.finished) {
    const point = at(row.bucket);
    if (!point) continue;
    point.finished[row.status] = (point.finished[row.status] ?? 0) + row.count;
    if (row.bin !== null) point.runBins[row.bin] = (point.runBins[row.bin] ?? 0) + row.count;
  }
  for (const row of counts.queueWaits) {
    const point = at(row.bucket);
    if (point && row.bin !== null)
      point.waitBins[row.bin] = (point.waitBins[row.bin] ?? 0) + row.count;
  }
  for (const row of counts.enqueued) {
    const point = at(row.bucket);
    if (point) point.enqueued += row.count;
  }

  // Walking back from now: before a bucket, its enqueues were not there yet, its finishes were.
  let backlog = backlogNow;
  const withBacklog = points
    .slice()
    .reverse()
    .map((point) => {
      const atEnd = backlog;
      backlog = Math.max(0, backlog - point.enqueued + total(point.finished));
      return { point, backlog: atEnd };
    })
    .reverse();

  const summed = emptyCounts();
  for (const point of points) {
    for (const status of FINISHED_STATUSES) {
      const count = point.finished[status];
      if (count !== undefined) summed.finished[status] = (summed.finished[status] ?? 0) + count;
    }
    summed.enqueued += point.enqueued;
    addBins(summed.runBins, point.runBins);
    addBins(summed.waitBins, point.waitBins);
  }
  return {
    window,
    bucketMs,
    taskId,
    points: withBacklog.map(({ point, backlog: atEnd }) => ({
      start: point.start,
      ...describe(point),
      backlog: atEnd,
    })),
    totals: { ...describe(summed), backlogNow },
  };
}

interface Counts {
  finished: Partial<Record<FinishedTaskExecutionStatus, number>>;
  enqueued: number;
  runBins: number[];
  waitBins: number[];
}

function emptyCounts(): Counts {
  return { finished: {}, enqueued: 0, runBins: [], waitBins: [] };
}

function describe(counts: Counts) {
  const finished = total(counts.finished);
  const failed = FAILURES.reduce((sum, status) => sum + (counts.finished[status] ?? 0), 0);
  return {
    finished: counts.finished,
    enqueued: counts.enqueued,
    failureRate: finished === 0 ? null : failed / finished,
    run: percentiles(counts.runBins),
    queueWait: percentiles(counts.waitBins),
  };
}

function percentiles(bins: number[]): Percentiles {
  return { p50: percentile(bins, 0.5), p95: percentile(bins, 0.95) };
}

/** The upper edge of the bin holding the `p` quantile (the last edge for the overflow bin). */
function percentile(bins: number[], p: number): number | null {
  const count = bins.reduce((sum, n) => sum + (n ?? 0), 0);
  if (count === 0) return null;
  let seen = 0;
  for (let bin = 0; bin < bins.length; bin++) {
    seen += bins[bin] ?? 0;
    if (seen >= p * count)
      return DURATION_BIN_EDGES_MS[Math.min(bin, DURATION_BIN_EDGES_MS.length - 1)]!;
  }
  return DURATION_BIN_EDGES_MS.at(-1)!;
}

function addBins(into: number[], from: number[]): void {
  from.forEach((count, bin) => (into[bin] = (into[bin] ?? 0) + (count ?? 0)));
}

function total(finished: Partial<Record<string, number>>): number {
  return Object.values(finished).reduce<number>((sum, n) => sum + (n ?? 0), 0);
}

function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}
