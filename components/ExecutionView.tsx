'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo, useState } from 'react';
import { ErrorNotice } from './ErrorNotice';
import { ExecutionDetails } from './ExecutionDetails';
import { ExecutionTree } from './ExecutionTree';
import { formatDuration, formatTimestamp, useNow } from './format';
import { useLiveState } from './LiveUpdates';
import { isActiveStatus } from './status';
import { StatusBadge } from './StatusBadge';
import { Timeline } from './Timeline';
import {
  CHILDREN_PAGE,
  childrenShownFor,
  indexTree,
  pathTo,
  visibleRows,
  type TreeRow,
} from './treeModel';
import { useTRPC } from './trpc/react';

/** The execution page: the tree of its root, the selected node's details and a timeline. */
export function ExecutionView({ executionId }: { executionId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const live = useLiveState() === 'live';
  const selectedId = searchParams.get('node') ?? executionId;

  const treeQuery = useQuery(
    trpc.executions.tree.queryOptions(
      { executionId },
      {
        refetchInterval: (query) =>
          !live && query.state.data?.nodes.some((node) => isActiveStatus(node.status))
            ? 3_000
            : false,
      },
    ),
  );
  const tree = useMemo(
    () => (treeQuery.data ? indexTree(treeQuery.data.nodes, treeQuery.data.rootExecutionId) : null),
    [treeQuery.data],
  );
  const anyActive = treeQuery.data?.nodes.some((node) => isActiveStatus(node.status)) ?? false;
  const now = useNow(1_000, anyActive);

  const [toggled, setToggled] = useState<Map<string, boolean>>(() => new Map());
  const [shown, setShown] = useState<Map<string, number>>(() => new Map());
  const selectedPath = useMemo(() => (tree ? pathTo(tree, selectedId) : []), [tree, selectedId]);

  const isExpanded = useCallback(
    (id: string) =>
      toggled.get(id) ?? (id === tree?.root.executionId || selectedPath.slice(0, -1).includes(id)),
    [toggled, tree, selectedPath],
  );
  const shownChildren = useCallback(
    (id: string) => {
      const explicit = shown.get(id) ?? CHILDREN_PAGE;
      const position = selectedPath.indexOf(id);
      const child = position >= 0 ? selectedPath[position + 1] : undefined;
      return tree && child ? Math.max(explicit, childrenShownFor(tree, id, child)) : explicit;
    },
    [shown, selectedPath, tree],
  );
  const rows = useMemo(
    () => (tree ? visibleRows(tree, isExpanded, shownChildren) : []),
    [tree, isExpanded, shownChildren],
  );

  const select = useCallback(
    (id: string) => {
      const query = id === executionId ? '' : `?node=${encodeURIComponent(id)}`;
      router.replace(`${pathname}${query}`, { scroll: false });
    },
    [executionId, pathname, router],
  );

  if (treeQuery.error) {
    const notFound = treeQuery.error.data?.code === 'NOT_FOUND';
    return (
      <div className="page">
        <Breadcrumbs />
        <ErrorNotice
          title={notFound ? 'Execution not found' : 'Could not load the execution'}
          error={treeQuery.error}
        />
      </div>
    );
  }
  if (!tree || !treeQuery.data) {
    return (
      <div className="page">
        <Breadcrumbs />
        <p className="loading" role="status">
          Loading execution…
        </p>
      </div>
    );
  }

  const root = tree.root;
  const nodes = treeQuery.data.nodes;
  const inTree = tree.byId.has(selectedId);
  const lastFinish = Math.max(...nodes.map((node) => node.finishedAt?.getTime() ?? 0));
  const elapsed = (anyActive ? now : lastFinish) - root.createdAt.getTime();
  const nodeRows = rows.filter(
    (row): row is Extract<TreeRow, { kind: 'node' }> => row.kind === 'node',
  );

  return (
    <div className="page">
      <Breadcrumbs rootId={root.executionId} rootTask={root.taskId} />
      <div className="page-header">
        <h1>
          <span className="task-name">{root.taskId}</span>{' '}
          <span className="mono h1-id">{root.executionId}</span>
        </h1>
        <StatusBadge status={root.status} />
      </div>
      <p className="summary-line">
        {nodes.length} execution{nodes.length === 1 ? '' : 's'} in this tree · created{' '}
        {formatTimestamp(root.createdAt)} · {anyActive ? 'running for' : 'took'}{' '}
        {formatDuration(elapsed)}{' '}
        {anyActive && (
          <span className="tag tag-live" role="status">
            updating live
          </span>
        )}
      </p>
      <div className="execution-layout">
        <section className="panel tree-panel" aria-labelledby="tree-title">
          <div className="panel-header">
            <h2 id="tree-title">Tree</h2>
            <span className="muted">↑↓ move · →← open/close · Enter selects</span>
          </div>
          <ExecutionTree
            tree={tree}
            rows={rows}
            selectedId={selectedId}
            now={now}
            isExpanded={isExpanded}
            onSelect={select}
            onToggle={(id, expanded) => setToggled((map) => new Map(map).set(id, expanded))}
            onShowMore={(parentId, all) =>
              setShown((map) =>
                new Map(map).set(
                  parentId,
                  all ? Number.MAX_SAFE_INTEGER : shownChildren(parentId) + CHILDREN_PAGE,
                ),
              )
            }
          />
        </section>
        <section className="panel details-panel" aria-label="Selected execution">
          {inTree ? (
            <ExecutionDetails
              key={selectedId}
              executionId={selectedId}
              tree={tree}
              now={now}
              onSelect={select}
            />
          ) : (
            <p className="muted">
              {selectedId} is not part of this tree.{' '}
              <Link href={`/executions/${encodeURIComponent(selectedId)}`}>Open it</Link>
            </p>
          )}
        </section>
      </div>
      <Timeline nodes={nodeRows} all={nodes} selectedId={selectedId} now={now} onSelect={select} />
    </div>
  );
}

function Breadcrumbs({ rootId, rootTask }: { rootId?: string; rootTask?: string }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs">
      <ol>
        <li>
          <Link href="/">Executions</Link>
        </li>
        {rootId && (
          <li>
            <Link href={`/executions/${rootId}`} aria-current="page">
              {rootTask} <span className="mono">{rootId.slice(0, 11)}…</span>
            </Link>
          </li>
        )}
      </ol>
    </nav>
  );
}
