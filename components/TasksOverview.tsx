'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { ErrorNotice } from './ErrorNotice';
import { InlineCode } from './InlineCode';
import { describeRetry, formatDuration, formatRelative, useNow } from './format';
import { useLiveState } from './LiveUpdates';
import { ALL_STATUSES, STATUS_META } from './status';
import { StatusBadge } from './StatusBadge';
import { StatusIcon } from './StatusIcon';
import { useTRPC } from './trpc/react';

const TASK_KIND_LABEL = {
  task: 'task',
  parentTask: 'parent task',
  sleepingTask: 'sleeping task',
} as const;
import type { ExecutionStats, TaskInfo } from './trpc/types';

const RECENT = 5;

/** The registered tasks: their options, counts by status, recent executions, enqueue. */
export function TasksOverview() {
  const trpc = useTRPC();
  const live = useLiveState() === 'live';
  const tasks = useQuery(trpc.tasks.list.queryOptions());
  const stats = useQuery(
    trpc.executions.stats.queryOptions(undefined, { refetchInterval: live ? false : 5_000 }),
  );
  const now = useNow(10_000);

  if (tasks.error) return <ErrorNotice title="Could not load the tasks" error={tasks.error} />;
  if (!tasks.data) {
    return (
      <p className="loading" role="status">
        Loading tasks…
      </p>
    );
  }
  return (
    <ul className="task-cards">
      {tasks.data.map((task) => (
        <li key={task.id}>
          <TaskCard task={task} stats={stats.data} now={now} live={live} />
        </li>
      ))}
    </ul>
  );
}

/** A limit's current use: the busiest keys, as "tenant-42: 2 of 2 running". */
function KeyUse({
  usage,
  limit,
  what,
}: {
  usage: { key: string; count: number }[];
  limit: number;
  what: string;
}) {
  if (usage.length === 0) return <span className="muted"> · none {what} now</span>;
  return (
    <ul className="key-use">
      {usage.map(({ key, count }) => (
        <li key={key}>
          <span className="mono">{key === '' ? 'all' : key}</span>: {count} of {limit} {what}
        </li>
      ))}
    </ul>
  );
}

function TaskCard({
  task,
  stats,
  now,
  live,
}: {
  task: TaskInfo;
  stats: ExecutionStats | undefined;
  now: number;
  live: boolean;
}) {
  const trpc = useTRPC();
  const recent = useQuery(
    trpc.executions.list.queryOptions(
      { taskId: task.id, limit: RECENT },
      { refetchInterval: live ? false : 5_000 },
    ),
  );
  const counts = new Map(
    (stats?.byTask ?? [])
      .filter((row) => row.taskId === task.id)
      .map((row) => [row.status, row.count]),
  );
  const headingId = `task-${task.id}`;
  return (
    <article className="panel task-card" aria-labelledby={headingId}>
      <header className="task-card-header">
        <h2 id={headingId} className="task-name">
          {task.id}
        </h2>
        <span className="tag">{TASK_KIND_LABEL[task.kind]}</span>
        {task.hasFinalizeTask && <span className="tag">finalize</span>}
      </header>
      <p>
        <InlineCode text={task.description} />
      </p>
      <dl className="facts facts-compact">
        <dt>Timeout</dt>
        <dd>{formatDuration(task.timeoutMs)}</dd>
        <dt>Retries</dt>
        <dd>{describeRetry(task.retryOptions)}</dd>
        <dt>Delay before run</dt>
        <dd>{task.sleepMsBeforeRun ? formatDuration(task.sleepMsBeforeRun) : 'none'}</dd>
        {task.flow?.concurrency && (
          <>
            <dt>Concurrency</dt>
            <dd>
              {task.flow.concurrency.limit} at once
              {task.flow.concurrency.perKey ? ' per key' : ''}
              <KeyUse
                usage={task.flow.concurrency.running}
                limit={task.flow.concurrency.limit}
                what="running"
              />
            </dd>
          </>
        )}
        {task.flow?.rateLimit && (
          <>
            <dt>Rate limit</dt>
            <dd>
              {task.flow.rateLimit.limit} per {formatDuration(task.flow.rateLimit.periodMs)}
              {task.flow.rateLimit.perKey ? ' per key' : ''}
              <KeyUse
                usage={task.flow.rateLimit.started}
                limit={task.flow.rateLimit.limit}
                what="started"
              />
            </dd>
          </>
        )}
      </dl>
      <p className="task-counts" aria-label={`Executions of ${task.id} by status`}>
        {counts.size === 0 ? (
          <span className="muted">No executions yet</span>
        ) : (
          ALL_STATUSES.filter((status) => counts.has(status)).map((status) => (
            <Link
              key={status}
              className={`chip status-${STATUS_META[status].tone}`}
              href={`/?task=${task.id}&status=${status}`}
            >
              <StatusIcon status={status} />
              {STATUS_META[status].label} <span className="chip-count">{counts.get(status)}</span>
            </Link>
          ))
        )}
      </p>
      {recent.data && recent.data.items.length > 0 && (
        <>
          <h3 className="small-heading">Recent</h3>
          <ul className="recent-list">
            {recent.data.items.map((item) => (
              <li key={item.executionId}>
                <StatusBadge status={item.status} />
                <Link className="mono" href={`/executions/${item.executionId}`}>
                  {item.executionId}
                </Link>
                <span className="muted">{formatRelative(item.createdAt, now)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="actions">
        <Link className="button button-primary button-small" href={`/enqueue?task=${task.id}`}>
          Enqueue {task.id}
        </Link>
        <Link className="button button-small" href={`/?task=${task.id}`}>
          All executions
        </Link>
      </p>
    </article>
  );
}
