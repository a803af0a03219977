import Link from 'next/link';
import {
  attemptCount,
  formatDuration,
  formatRelative,
  formatTimestamp,
  runDuration,
} from './format';
import { ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';
import type { ExecutionSummary } from './trpc/types';

/** The executions of one page; on a narrow screen each row becomes a card. */
export function ExecutionsTable({
  items,
  now,
  caption,
}: {
  items: ExecutionSummary[];
  now: number;
  caption: string;
}) {
  return (
    <table className="table executions-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Task</th>
          <th scope="col">Execution</th>
          <th scope="col">Created</th>
          <th scope="col" className="numeric">
            Duration
          </th>
          <th scope="col" className="numeric">
            Attempts
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => {
          const duration = runDuration(item, now);
          return (
            <tr key={item.executionId}>
              <td data-label="Status">
                <StatusBadge status={item.status} />
                {item.progress && <ProgressBar progress={item.progress} />}
              </td>
              <td data-label="Task">
                <span>
                  <span className="task-name">{item.taskId}</span>
                  <Relation item={item} />
                </span>
              </td>
              <td data-label="Execution">
                <Link className="mono" href={`/executions/${item.executionId}`}>
                  {item.executionId}
                </Link>
              </td>
              <td data-label="Created">
                <time
                  dateTime={item.createdAt.toISOString()}
                  title={formatTimestamp(item.createdAt)}
                >
                  {formatRelative(item.createdAt, now)}
                </time>
              </td>
              <td data-label="Duration" className="numeric">
                {duration === null ? (
                  <span className="muted">queued</span>
                ) : (
                  formatDuration(duration)
                )}
              </td>
              <td data-label="Attempts" className="numeric">
                {attemptCount(item) || <span className="muted">0</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Relation({ item }: { item: ExecutionSummary }) {
  if (!item.parentExecutionId) return <span className="tag">root</span>;
  return (
    <span className="tag" title={`Parent ${item.parentExecutionId}`}>
      {item.isFinalizeTask ? 'finalize' : `child #${item.indexInParent ?? '?'}`}
    </span>
  );
}
