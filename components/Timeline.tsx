'use client';

import type { CSSProperties } from 'react';
import { formatDuration } from './format';
import { STATUS_META, isActiveStatus } from './status';
import { positionLabel } from './ExecutionTree';
import type { ExecutionSummary } from './trpc/types';

interface Props {
  /** The executions to draw, in tree order (the tree's visible rows). */
  nodes: { node: ExecutionSummary; depth: number }[];
  /** Every execution of the tree, to fix the time scale. */
  all: ExecutionSummary[];
  selectedId: string;
  now: number;
  onSelect: (id: string) => void;
}

/** A waterfall of the tree: queued time (hatched) then run time (solid), on one time scale. */
export function Timeline({ nodes, all, selectedId, now, onSelect }: Props) {
  if (nodes.length === 0 || all.length === 0) return null;
  const start = Math.min(...all.map((node) => node.createdAt.getTime()));
  const end = Math.max(start + 1, ...all.map((node) => endOf(node, now)));
  const span = end - start;
  const percent = (time: number) => `${(((time - start) / span) * 100).toFixed(3)}%`;
  const width = (from: number, to: number) =>
    `max(2px, ${(((to - from) / span) * 100).toFixed(3)}%)`;

  return (
    <section className="panel timeline-panel" aria-labelledby="timeline-title">
      <div className="panel-header">
        <h2 id="timeline-title">Timeline</h2>
        <span className="muted">
          {formatDuration(span)} from the first enqueue · hatched: queued, solid: running
        </span>
      </div>
      <div className="timeline-scale" aria-hidden="true">
        <span>0</span>
        <span>{formatDuration(span / 2)}</span>
        <span>{formatDuration(span)}</span>
      </div>
      <ol className="timeline">
        {nodes.map(({ node, depth }) => {
          const created = node.createdAt.getTime();
          const started = node.startedAt?.getTime() ?? null;
          const finish = endOf(node, now);
          const queuedUntil = started ?? finish;
          const tone = STATUS_META[node.status].tone;
          const label =
            `${node.taskId} ${positionLabel(node)}: ${STATUS_META[node.status].label}, ` +
            `enqueued at +${formatDuration(created - start)}, queued ${formatDuration(queuedUntil - created)}` +
            (started === null ? '' : `, ran ${formatDuration(finish - started)}`);
          return (
            <li key={node.executionId}>
              <button
                type="button"
                className={`timeline-row${node.executionId === selectedId ? ' is-selected' : ''}`}
                aria-label={label}
                aria-pressed={node.executionId === selectedId}
                title={label}
                onClick={() => onSelect(node.executionId)}
              >
                <span className="timeline-label" style={{ '--depth': depth } as CSSProperties}>
                  {node.taskId} <span className="muted">{positionLabel(node)}</span>
                </span>
                <span className="timeline-track">
                  <span
                    className="timeline-queued"
                    style={{ left: percent(created), width: width(created, queuedUntil) }}
                  />
                  {started !== null && (
                    <span
                      className={`timeline-run status-${tone}${isActiveStatus(node.status) ? ' is-active' : ''}`}
                      style={{ left: percent(started), width: width(started, finish) }}
                    />
                  )}
                </span>
                <span className="timeline-duration numeric">
                  {started === null ? 'queued' : formatDuration(finish - started)}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

function endOf(node: ExecutionSummary, now: number): number {
  if (node.finishedAt) return node.finishedAt.getTime();
  if (isActiveStatus(node.status)) return Math.max(now, node.createdAt.getTime());
  return (node.startedAt ?? node.createdAt).getTime();
}
