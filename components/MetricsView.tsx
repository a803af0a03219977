'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ErrorNotice } from './ErrorNotice';
import { formatDuration } from './format';
import { STATUS_META } from './status';
import { useTRPC } from './trpc/react';
import type { ExecutionMetricsData } from './trpc/types';

type Window = ExecutionMetricsData['window'];

const FINISHED = ['completed', 'failed', 'timed_out', 'cancelled'] as const;
/** Chart colours by status, the badges' tones. */
const TONE_COLOR = {
  success: '#1f7a3a',
  danger: '#c22b2b',
  muted: '#6b7280',
  neutral: '#5b6470',
  active: '#1c64c8',
  waiting: '#8a5a00',
} as const;

/** Throughput, latency percentiles, failure rate and backlog, overall or for one task. */
export function MetricsView() {
  const trpc = useTRPC();
  const [window, setWindow] = useState<Window>('hour');
  const [taskId, setTaskId] = useState<string>('');
  const tasks = useQuery(trpc.tasks.list.queryOptions());
  const metrics = useQuery(
    trpc.executions.metrics.queryOptions(
      { window, taskId: taskId || null },
      { refetchInterval: 10_000 },
    ),
  );
  return (
    <div className="metrics">
      <form className="metrics-controls" onSubmit={(event) => event.preventDefault()}>
        <label>
          Window{' '}
          <select value={window} onChange={(event) => setWindow(event.target.value as Window)}>
            <option value="hour">Last hour</option>
            <option value="day">Last day</option>
          </select>
        </label>
        <label>
          Task{' '}
          <select value={taskId} onChange={(event) => setTaskId(event.target.value)}>
            <option value="">All tasks</option>
            {tasks.data?.map((task) => (
              <option key={task.id} value={task.id}>
                {task.id}
              </option>
            ))}
          </select>
        </label>
      </form>
      {metrics.error ? (
        <ErrorNotice title="Could not load the metrics" error={metrics.error} />
      ) : !metrics.data ? (
        <p className="loading" role="status">
          Loading metrics…
        </p>
      ) : (
        <MetricsCharts data={metrics.data} />
      )}
    </div>
  );
}

function MetricsCharts({ data }: { data: ExecutionMetricsData }) {
  const perMinute = data.bucketMs / 60_000;
  const label = (start: number) =>
    new Date(start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const rows = data.points.map((point) => ({
    time: label(point.start),
    ...Object.fromEntries(FINISHED.map((status) => [status, point.finished[status] ?? 0])),
    runP50: point.run.p50,
    runP95: point.run.p95,
    waitP50: point.queueWait.p50,
    waitP95: point.queueWait.p95,
    failureRate: point.failureRate === null ? null : Math.round(point.failureRate * 1000) / 10,
    backlog: point.backlog,
  }));
  const finishedTotal = FINISHED.reduce((sum, s) => sum + (data.totals.finished[s] ?? 0), 0);
  return (
    <>
      <dl className="metrics-totals" aria-label="Totals">
        <Total label="Finished" value={String(finishedTotal)} />
        <Total
          label="Failure rate"
          value={
            data.totals.failureRate === null
              ? '—'
              : `${(data.totals.failureRate * 100).toFixed(1)} %`
          }
        />
        <Total label="Run p50 / p95" value={pair(data.totals.run)} />
        <Total label="Queue wait p50 / p95" value={pair(data.totals.queueWait)} />
        <Total label="Backlog now" value={String(data.totals.backlogNow)} />
      </dl>
      <p className="muted">
        Buckets of {perMinute === 1 ? 'one minute' : `${perMinute} minutes`}; durations are read off
        bins (each percentile is its bin&apos;s upper edge).
      </p>
      <Chart title={`Finished per ${perMinute === 1 ? 'minute' : `${perMinute} minutes`}`}>
        <BarChart data={rows}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="time" minTickGap={24} />
          <YAxis allowDecimals={false} />
          <Tooltip />
          <Legend />
          {FINISHED.map((status) => (
            <Bar
              key={status}
              dataKey={status}
              name={STATUS_META[status].label}
              stackId="finished"
              fill={TONE_COLOR[STATUS_META[status].tone]}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </Chart>
      <Chart title="Run duration and queue wait (ms)">
        <LineChart data={rows}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="time" minTickGap={24} />
          <YAxis scale="log" domain={[1, 'auto']} allowDataOverflow />
          <Tooltip />
          <Legend />
          <Line
            dataKey="runP50"
            name="run p50"
            stroke="#1c64c8"
            dot={{ r: 2 }}
            isAnimationActive={false}
            connectNulls
          />
          <Line
            dataKey="runP95"
            name="run p95"
            stroke="#1c64c8"
            strokeDasharray="4 3"
            dot={{ r: 2 }}
            isAnimationActive={false}
            connectNulls
          />
          <Line
            dataKey="waitP50"
            name="queue wait p50"
            stroke="#8a5a00"
            dot={{ r: 2 }}
            isAnimationActive={false}
            connectNulls
          />
          <Line
            dataKey="waitP95"
            name="queue wait p95"
            stroke="#8a5a00"
            strokeDasharray="4 3"
            dot={{ r: 2 }}
            isAnimationActive={false}
            connectNulls
          />
        </LineChart>
      </Chart>
      <Chart title="Failure rate (%) and backlog (active executions)">
        <LineChart data={rows}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="time" minTickGap={24} />
          <YAxis yAxisId="rate" domain={[0, 100]} />
          <YAxis yAxisId="backlog" orientation="right" allowDecimals={false} />
          <Tooltip />
          <Legend />
          <Line
            yAxisId="rate"
            dataKey="failureRate"
            name="failure rate %"
            stroke="#c22b2b"
            dot={{ r: 2 }}
            isAnimationActive={false}
            connectNulls
          />
          <Line
            yAxisId="backlog"
            dataKey="backlog"
            name="backlog"
            stroke="#5b6470"
            dot={{ r: 2 }}
            isAnimationActive={false}
          />
        </LineChart>
      </Chart>
    </>
  );
}

function Chart({ title, children }: { title: string; children: React.ReactElement }) {
  return (
    <section className="metrics-chart" aria-label={title}>
      <h2>{title}</h2>
      <ResponsiveContainer width="100%" height={220}>
        {children}
      </ResponsiveContainer>
    </section>
  );
}

function Total({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function pair({ p50, p95 }: { p50: number | null; p95: number | null }): string {
  const show = (ms: number | null) => (ms === null ? '—' : `≤ ${formatDuration(ms)}`);
  return `${show(p50)} / ${show(p95)}`;
}
