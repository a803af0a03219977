'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { ErrorNotice } from './ErrorNotice';
import { formatDuration, formatRelative, useNow } from './format';
import { useTRPC } from './trpc/react';
import type { ExecutorInfo } from './trpc/types';

const STATE_LABEL: Record<ExecutorInfo['state'], string> = {
  live: 'Live',
  stopped: 'Stopped',
  dead: 'Dead',
};

/** Every executor heard from in the last day: live first, then stopped and dead ones. */
export function WorkersView() {
  const trpc = useTRPC();
  // Heartbeats are written every few seconds, not announced: poll at that pace.
  const query = useQuery(trpc.executors.list.queryOptions(undefined, { refetchInterval: 3_000 }));
  const now = useNow(1_000);
  if (query.error) return <ErrorNotice title="Could not load the executors" error={query.error} />;
  if (!query.data) {
    return (
      <p className="loading" role="status">
        Loading executors…
      </p>
    );
  }
  const { executors, thisExecutorId } = query.data;
  if (executors.length === 0) {
    return (
      <p className="muted">
        No executor has reported yet. Executors record a heartbeat when they start and every few
        seconds after.
      </p>
    );
  }
  const order = { live: 0, dead: 1, stopped: 2 } as const;
  const sorted = [...executors].sort((a, b) => order[a.state] - order[b.state]);
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Executors">
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Executor</th>
            <th scope="col">Host / pid</th>
            <th scope="col">Version</th>
            <th scope="col">Tasks</th>
            <th scope="col" className="numeric">
              Running
            </th>
            <th scope="col">Started</th>
            <th scope="col">Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((executor) => (
            <ExecutorRow
              key={executor.executorId}
              executor={executor}
              isThis={executor.executorId === thisExecutorId}
              now={now}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ExecutorRow({
  executor,
  isThis,
  now,
}: {
  executor: ExecutorInfo;
  isThis: boolean;
  now: number;
}) {
  return (
    <>
      <tr data-executor-id={executor.executorId} data-state={executor.state}>
        <td>
          <span className={`executor-state executor-state-${executor.state}`}>
            {STATE_LABEL[executor.state]}
          </span>
        </td>
        <td>
          <code>{executor.executorId}</code>
          {isThis ? <span className="muted"> (this web server)</span> : null}
        </td>
        <td>
          {executor.host} / {executor.pid}
        </td>
        <td>{executor.version}</td>
        <td>{executor.taskIds.length} tasks</td>
        <td className="numeric">{executor.runningExecutionIds.length}</td>
        <td>{formatRelative(new Date(executor.startedAt), now)}</td>
        <td>
          {executor.stoppedAt !== null
            ? `stopped ${formatRelative(new Date(executor.stoppedAt), now)}`
            : formatRelative(new Date(executor.heartbeatAt), now)}
        </td>
      </tr>
      {executor.inFlight.length > 0 ? (
        <tr className="executor-in-flight">
          <td colSpan={8}>
            <p>Left running when it went silent:</p>
            <ul>
              {executor.inFlight.map((execution) => (
                <li key={execution.executionId}>
                  <Link href={`/executions/${execution.executionId}`}>
                    {execution.taskId} <code>{execution.executionId}</code>
                  </Link>{' '}
                  <span className="muted">{leaseText(execution.expiresAt, now)}</span>
                </li>
              ))}
            </ul>
          </td>
        </tr>
      ) : null}
    </>
  );
}

function leaseText(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return '';
  return expiresAt > now
    ? `lease expires in ${formatDuration(expiresAt - now)}`
    : 'lease expired: recovered at the next backstop tick';
}

/** The live executor running `executionId`, if a heartbeat lists it. */
export function useExecutorRunning(executionId: string) {
  const trpc = useTRPC();
  const query = useQuery(trpc.executors.list.queryOptions(undefined, { refetchInterval: 5_000 }));
  return (
    query.data?.executors.find(
      (executor) => executor.state === 'live' && executor.runningExecutionIds.includes(executionId),
    ) ?? null
  );
}
