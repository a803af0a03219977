'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, type ReactNode } from 'react';
import { ChildrenOutputs } from './ChildrenOutputs';
import { ErrorDetails } from './ErrorDetails';
import { ErrorNotice } from './ErrorNotice';
import { ExecutionActions } from './ExecutionActions';
import { positionLabel } from './ExecutionTree';
import {
  attemptCount,
  describeRetry,
  formatDuration,
  formatTimestamp,
  runDuration,
} from './format';
import { JsonBlock } from './JsonBlock';
import { ProgressBar } from './ProgressBar';
import { useLiveState } from './LiveUpdates';
import { isActiveStatus } from './status';
import { StatusBadge } from './StatusBadge';
import type { TreeIndex } from './treeModel';
import { useTRPC } from './trpc/react';
import type { ExecutionDetails as Details } from './trpc/types';
import { useExecutorRunning } from './WorkersView';
import { WakeupPanel } from './WakeupPanel';

interface Props {
  executionId: string;
  tree: TreeIndex;
  now: number;
  onSelect: (id: string) => void;
}

/** Everything about the selected execution, from `executions.get`. */
export function ExecutionDetails({ executionId, tree, now, onSelect }: Props) {
  const trpc = useTRPC();
  const live = useLiveState() === 'live';
  const summary = tree.byId.get(executionId);
  const active = summary ? isActiveStatus(summary.status) : true;
  const query = useQuery(
    trpc.executions.get.queryOptions(
      { executionId },
      { refetchInterval: active && !live ? 3_000 : false },
    ),
  );

  // The tree is refreshed by every change in it: when it shows a status these details do not,
  // fetch them again (once per status the tree shows, so a lagging tree cannot cause a loop).
  const treeStatus = summary?.status;
  const syncedFor = useRef<string | undefined>(undefined);
  const { refetch, isFetching } = query;
  const shownStatus = query.data?.status;
  useEffect(() => {
    if (!treeStatus || !shownStatus || isFetching) return;
    if (treeStatus === shownStatus || syncedFor.current === treeStatus) return;
    syncedFor.current = treeStatus;
    void refetch();
  }, [treeStatus, shownStatus, isFetching, refetch]);

  if (query.error) return <ErrorNotice title="Could not load the execution" error={query.error} />;
  const execution = query.data;
  if (!execution) {
    return (
      <p className="loading" role="status">
        Loading execution…
      </p>
    );
  }
  return (
    <article className="details" aria-labelledby="details-title">
      <header className="details-header">
        <div>
          <h2 id="details-title">
            <span className="task-name">{execution.taskId}</span>{' '}
            <span className="muted">{summary ? positionLabel(summary) : ''}</span>
          </h2>
          <p className="mono details-id">{execution.executionId}</p>
        </div>
        <StatusBadge status={execution.status} />
      </header>
      <ExecutionActions
        execution={execution}
        activeDescendants={countActiveDescendants(tree, execution.executionId)}
      />
      {execution.status === 'waiting_for_event' && <WakeupPanel execution={execution} now={now} />}
      <Facts execution={execution} now={now} onSelect={onSelect} />
      <ErrorSection execution={execution} />
      <Section title="Input">
        <JsonBlock value={execution.runInput} label="Input" />
      </Section>
      {execution.runOutput !== undefined &&
        (execution.childrenTasks || execution.finalizeTask || execution.status !== 'completed') && (
          <Section title="Run output">
            <JsonBlock value={execution.runOutput} label="Run output" />
          </Section>
        )}
      {execution.status === 'completed' && (
        <Section title="Output">
          <JsonBlock value={execution.output} label="Output" />
        </Section>
      )}
      {execution.childrenTasks && execution.childrenTasks.length > 0 && (
        <ChildrenOutputs execution={execution} tree={tree} onSelect={onSelect} />
      )}
      {execution.childrenTasksErrors && execution.childrenTasksErrors.length > 0 && (
        <Section title={`Children errors (${execution.childrenTasksErrors.length})`}>
          <ul className="plain-list">
            {execution.childrenTasksErrors.map((child) => (
              <li key={child.executionId} className="child-error">
                <p>
                  Child #{child.index} <span className="task-name">{child.taskId}</span>{' '}
                  <button
                    type="button"
                    className="link-button mono"
                    onClick={() => onSelect(child.executionId)}
                  >
                    {child.executionId}
                  </button>
                </p>
                <ErrorDetails error={child.error} />
              </li>
            ))}
          </ul>
        </Section>
      )}
      {execution.finalizeTask && (
        <Section title="Finalize task">
          <p>
            <button
              type="button"
              className="link-button mono"
              onClick={() => execution.finalizeTask && onSelect(execution.finalizeTask.executionId)}
            >
              {execution.finalizeTask.taskId} {execution.finalizeTask.executionId}
            </button>
          </p>
          {execution.finalizeTaskError && (
            <>
              <h4>Finalize error</h4>
              <ErrorDetails error={execution.finalizeTaskError} />
            </>
          )}
        </Section>
      )}
    </article>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="details-section" aria-label={title}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** Why a ready execution is not running yet, when flow control holds it back. */
function WaitReason({ executionId }: { executionId: string }) {
  const trpc = useTRPC();
  const reason = useQuery(trpc.executions.waitReason.queryOptions({ executionId })).data?.reason;
  if (!reason) return null;
  return (
    <>
      <dt>Waiting</dt>
      <dd>{reason}</dd>
    </>
  );
}

function ErrorSection({ execution }: { execution: Details }) {
  if (!execution.error) return null;
  const retrying = isActiveStatus(execution.status);
  return (
    <Section title={retrying ? "Previous attempt's error" : 'Error'}>
      {retrying && <p className="muted">The last attempt failed; the execution is retried.</p>}
      <ErrorDetails error={execution.error} />
    </Section>
  );
}

function Facts({
  execution,
  now,
  onSelect,
}: {
  execution: Details;
  now: number;
  onSelect: (id: string) => void;
}) {
  const duration = runDuration(execution, now);
  const queuedMs = (
    execution.startedAt ?? (isActiveStatus(execution.status) ? null : execution.finishedAt)
  )?.getTime();
  const retry = execution.retryOptions;
  const link = (id: string) => (
    <button type="button" className="link-button mono" onClick={() => onSelect(id)}>
      {id}
    </button>
  );
  return (
    <dl className="facts">
      <dt>Parent</dt>
      <dd>
        {execution.parentTask ? (
          link(execution.parentTask.executionId)
        ) : (
          <span className="muted">none (root)</span>
        )}
      </dd>
      {execution.rootTask &&
        execution.rootTask.executionId !== execution.parentTask?.executionId && (
          <>
            <dt>Root</dt>
            <dd>{link(execution.rootTask.executionId)}</dd>
          </>
        )}
      {execution.progress && (
        <>
          <dt>Progress</dt>
          <dd>
            <ProgressBar progress={execution.progress} />
          </dd>
        </>
      )}
      <dt>Attempts</dt>
      <dd>
        {attemptCount(execution)}{' '}
        <span className="muted">
          ({execution.retryAttempts} of {retry.maxAttempts} retries, {execution.recoveryAttempts}{' '}
          lease {execution.recoveryAttempts === 1 ? 'recovery' : 'recoveries'})
        </span>
      </dd>
      <dt>Retry policy</dt>
      <dd>{describeRetry(retry)}</dd>
      <dt>Priority</dt>
      <dd>{execution.priority}</dd>
      {execution.idempotencyKey !== undefined && (
        <>
          <dt>Idempotency key</dt>
          <dd className="mono">{execution.idempotencyKey}</dd>
        </>
      )}
      {execution.concurrencyKey !== undefined && (
        <>
          <dt>Concurrency key</dt>
          <dd className="mono">{execution.concurrencyKey || 'all (the whole task)'}</dd>
        </>
      )}
      {execution.rateKey !== undefined && (
        <>
          <dt>Rate key</dt>
          <dd className="mono">{execution.rateKey || 'all (the whole task)'}</dd>
        </>
      )}
      {execution.linkedExecutionId !== undefined && (
        <>
          <dt>Stands for</dt>
          <dd>
            {link(execution.linkedExecutionId)}{' '}
            <span className="muted">
              (its idempotency key was taken: it finishes with that one)
            </span>
          </dd>
        </>
      )}
      {execution.status === 'ready' && <WaitReason executionId={execution.executionId} />}
      <dt>Timeout</dt>
      <dd>{formatDuration(execution.timeoutMs)}</dd>
      {execution.sleepMsBeforeRun > 0 && (
        <>
          <dt>Delay before run</dt>
          <dd>{formatDuration(execution.sleepMsBeforeRun)}</dd>
        </>
      )}
      <dt>Created</dt>
      <dd>
        <Time date={execution.createdAt} />
      </dd>
      <dt>Started</dt>
      <dd>
        <Time date={execution.startedAt} />
        {queuedMs !== undefined && attemptCount(execution) <= 1 && (
          <span className="muted">
            {' '}
            (queued {formatDuration(queuedMs - execution.createdAt.getTime())})
          </span>
        )}
      </dd>
      <dt>Finished</dt>
      <dd>
        <Time date={execution.finishedAt} />
      </dd>
      <dt>Duration</dt>
      <dd>
        {duration === null ? '—' : formatDuration(duration)}
        {duration !== null && !execution.finishedAt && <span className="muted"> so far</span>}
      </dd>
      <dt>Updated</dt>
      <dd>
        <Time date={execution.updatedAt} />
      </dd>
      {execution.expiresAt && (
        <>
          <dt>{execution.status === 'waiting_for_event' ? 'Deadline' : 'Lease expires'}</dt>
          <dd>
            <Time date={execution.expiresAt} />
          </dd>
        </>
      )}
      {execution.status === 'running' && <RunningOn executionId={execution.executionId} />}
    </dl>
  );
}

/** The executor whose last heartbeat lists this running execution. */
function RunningOn({ executionId }: { executionId: string }) {
  const executor = useExecutorRunning(executionId);
  return (
    <>
      <dt>Running on</dt>
      <dd>
        {executor ? (
          <Link href="/workers" data-testid="running-on">
            {executor.host} / {executor.pid} <code>{executor.executorId}</code>
          </Link>
        ) : (
          <span className="muted">not in a heartbeat yet</span>
        )}
      </dd>
    </>
  );
}

function Time({ date }: { date: Date | undefined }) {
  if (!date) return <span className="muted">—</span>;
  return <time dateTime={date.toISOString()}>{formatTimestamp(date)}</time>;
}

function countActiveDescendants(tree: TreeIndex, id: string): number {
  let count = 0;
  const stack = [id];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === undefined) break;
    for (const child of [...(tree.children.get(current) ?? []), ...[tree.finalize.get(current)]]) {
      if (!child) continue;
      if (isActiveStatus(child.status)) count += 1;
      stack.push(child.executionId);
    }
  }
  return count;
}
