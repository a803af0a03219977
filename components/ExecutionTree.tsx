'use client';

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { attemptCount, formatDuration, runDuration } from './format';
import { STATUS_META } from './status';
import { StatusIcon } from './StatusIcon';
import { CHILDREN_PAGE, childStatusCounts, type TreeIndex, type TreeRow } from './treeModel';
import type { ExecutionSummary } from './trpc/types';

interface Props {
  tree: TreeIndex;
  rows: TreeRow[];
  selectedId: string;
  now: number;
  isExpanded: (id: string) => boolean;
  onSelect: (id: string) => void;
  onToggle: (id: string, expanded: boolean) => void;
  onShowMore: (parentId: string, all: boolean) => void;
}

/** The execution tree as an ARIA tree: arrow keys move, Right/Left open and close, Enter selects. */
export function ExecutionTree(props: Props) {
  const { rows, selectedId, isExpanded, onSelect, onToggle, onShowMore } = props;
  const rowRefs = useRef(new Map<string, HTMLLIElement>());
  const selectedIndex = rows.findIndex(
    (row) => row.kind === 'node' && row.node.executionId === selectedId,
  );
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const focusIndex = Math.max(
    0,
    focusKey === null ? selectedIndex : rows.findIndex((row) => rowKey(row) === focusKey),
  );
  const [moveFocus, setMoveFocus] = useState(false);

  useEffect(() => {
    if (!moveFocus) return;
    setMoveFocus(false);
    const row = rows[focusIndex];
    if (row) rowRefs.current.get(rowKey(row))?.focus();
  }, [moveFocus, focusIndex, rows]);

  const focusRow = (index: number) => {
    const row = rows[Math.min(rows.length - 1, Math.max(0, index))];
    if (!row) return;
    setFocusKey(rowKey(row));
    setMoveFocus(true);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const row = rows[focusIndex];
    if (!row) return;
    const handled = () => event.preventDefault();
    switch (event.key) {
      case 'ArrowDown':
        handled();
        focusRow(focusIndex + 1);
        break;
      case 'ArrowUp':
        handled();
        focusRow(focusIndex - 1);
        break;
      case 'Home':
        handled();
        focusRow(0);
        break;
      case 'End':
        handled();
        focusRow(rows.length - 1);
        break;
      case 'ArrowRight':
        handled();
        if (row.kind === 'node' && row.hasChildren) {
          if (!isExpanded(row.node.executionId)) onToggle(row.node.executionId, true);
          else focusRow(focusIndex + 1);
        }
        break;
      case 'ArrowLeft': {
        handled();
        if (row.kind === 'node' && row.hasChildren && isExpanded(row.node.executionId)) {
          onToggle(row.node.executionId, false);
          break;
        }
        const parentId = row.kind === 'more' ? row.parentId : row.node.parentExecutionId;
        const parentIndex = rows.findIndex(
          (r) => r.kind === 'node' && r.node.executionId === parentId,
        );
        if (parentIndex >= 0) focusRow(parentIndex);
        break;
      }
      case 'Enter':
      case ' ':
        handled();
        if (row.kind === 'node') onSelect(row.node.executionId);
        else onShowMore(row.parentId, event.shiftKey);
        break;
    }
  };

  return (
    <ul className="tree" role="tree" aria-label="Execution tree" onKeyDown={onKeyDown}>
      {rows.map((row, index) => {
        const key = rowKey(row);
        const setRef = (element: HTMLLIElement | null) => {
          if (element) rowRefs.current.set(key, element);
          else rowRefs.current.delete(key);
        };
        const common = {
          ref: setRef,
          role: 'treeitem',
          'aria-level': row.depth + 1,
          tabIndex: index === focusIndex ? 0 : -1,
          onFocus: () => setFocusKey(key),
          style: { '--depth': row.depth } as React.CSSProperties,
        } as const;
        if (row.kind === 'more') {
          return (
            <li
              key={key}
              {...common}
              className="tree-row tree-more"
              aria-label={`Show more children: ${row.shown} of ${row.total} shown`}
              aria-description={`Enter shows ${CHILDREN_PAGE} more, Shift+Enter shows all`}
              onClick={() => onShowMore(row.parentId, false)}
            >
              <span className="tree-indent" />
              <span>
                {row.shown} of {row.total} children shown.{' '}
                <span className="linkish">
                  Show {Math.min(CHILDREN_PAGE, row.total - row.shown)} more
                </span>
                {' · '}
                <span
                  className="linkish"
                  onClick={(event) => {
                    event.stopPropagation();
                    onShowMore(row.parentId, true);
                  }}
                >
                  Show all
                </span>
              </span>
            </li>
          );
        }
        const { node } = row;
        const expanded = row.hasChildren ? isExpanded(node.executionId) : undefined;
        const selected = node.executionId === selectedId;
        return (
          <li
            key={key}
            {...common}
            className={`tree-row${selected ? ' is-selected' : ''}`}
            aria-selected={selected}
            aria-expanded={expanded}
            aria-label={nodeLabel(node, props.now)}
            data-execution-id={node.executionId}
            onClick={() => onSelect(node.executionId)}
          >
            <span className="tree-indent" />
            <span
              className="tree-toggle"
              aria-hidden="true"
              onClick={(event) => {
                if (expanded === undefined) return;
                event.stopPropagation();
                onToggle(node.executionId, !expanded);
              }}
            >
              {expanded === undefined ? '' : expanded ? '▾' : '▸'}
            </span>
            <span className={`tree-status status-${STATUS_META[node.status].tone}`}>
              <StatusIcon status={node.status} />
            </span>
            <span className="tree-name">
              <span className="task-name">{node.taskId}</span>
              <span className="tree-position">{positionLabel(node)}</span>
              {row.hasChildren && <ChildrenSummary tree={props.tree} id={node.executionId} />}
            </span>
            <span className={`tree-state status-${STATUS_META[node.status].tone}`}>
              {STATUS_META[node.status].label}
            </span>
            <span className="tree-duration numeric">{durationText(node, props.now)}</span>
            <span className="tree-attempts numeric" title="Attempts">
              {attemptCount(node) > 1 ? `×${attemptCount(node)}` : ''}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function ChildrenSummary({ tree, id }: { tree: TreeIndex; id: string }) {
  const total = tree.children.get(id)?.length ?? 0;
  if (total === 0) return null;
  const counts = childStatusCounts(tree, id);
  const done = counts.get('completed') ?? 0;
  return (
    <span className="tree-children-summary">
      {done}/{total} done
    </span>
  );
}

function rowKey(row: TreeRow): string {
  return row.kind === 'node' ? row.node.executionId : `more:${row.parentId}`;
}

export function positionLabel(node: ExecutionSummary): string {
  if (node.isFinalizeTask) return 'finalize';
  if (node.indexInParent !== null) return `#${node.indexInParent}`;
  return node.parentExecutionId ? '' : 'root';
}

function durationText(node: ExecutionSummary, now: number): string {
  const duration = runDuration(node, now);
  return duration === null ? 'queued' : formatDuration(duration);
}

function nodeLabel(node: ExecutionSummary, now: number): string {
  const attempts = attemptCount(node);
  return [
    `${node.taskId} ${positionLabel(node)}`.trim(),
    STATUS_META[node.status].label,
    durationText(node, now),
    attempts > 1 ? `${attempts} attempts` : null,
  ]
    .filter(Boolean)
    .join(', ');
}
