'use client';

import { RetentionNote } from './RetentionNote';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { startTransition, useCallback, useMemo, useOptimistic, useState } from 'react';
import { BulkActions } from './BulkActions';
import { EmptyState } from './EmptyState';
import { ExecutionFilters } from './ExecutionFilters';
import { ExecutionsTable } from './ExecutionsTable';
import { useNow } from './format';
import {
  encodeCursor,
  filtersToSearch,
  hasFilters,
  isFullExecutionId,
  parseFilters,
  toFilterInput,
  toListInput,
  type ListFilters,
} from './listFilters';
import { useLiveState } from './LiveUpdates';
import { ErrorNotice } from './ErrorNotice';
import { useTRPC } from './trpc/react';
import type { ListCursor } from './trpc/types';

const FIRST_PAGE = 'first';

/** The executions list: filters and page in the URL, live through the update subscription. */
export function ExecutionsList() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const urlFilters = useMemo(() => parseFilters(new URLSearchParams(searchParams)), [searchParams]);
  // Controls show the new filters at once, while the URL catches up.
  const [filters, setOptimisticFilters] = useOptimistic(urlFilters);
  const live = useLiveState() === 'live';
  const now = useNow(5_000);

  const list = useQuery(
    trpc.executions.list.queryOptions(toListInput(filters), {
      placeholderData: keepPreviousData,
      refetchInterval: live ? false : 5_000,
    }),
  );
  const stats = useQuery(
    trpc.executions.stats.queryOptions(undefined, { refetchInterval: live ? false : 5_000 }),
  );
  const tasks = useQuery(trpc.tasks.list.queryOptions());

  // Each page knows the page before it once reached through "Next" (the API pages forward only).
  const [previousOf, setPreviousOf] = useState<Map<string, ListCursor | null>>(() => new Map());
  const pageKey = filters.cursor ? encodeCursor(filters.cursor) : FIRST_PAGE;
  const pageNumber = useMemo(() => {
    let number = 1;
    let key = pageKey;
    while (key !== FIRST_PAGE) {
      const previous = previousOf.get(key);
      if (previous === undefined) return null;
      key = previous ? encodeCursor(previous) : FIRST_PAGE;
      number += 1;
    }
    return number;
  }, [pageKey, previousOf]);

  const navigate = useCallback(
    (next: ListFilters, mode: 'push' | 'replace' = 'push') => {
      const url = `${pathname}${filtersToSearch(next)}`;
      startTransition(() => {
        setOptimisticFilters(next);
        if (mode === 'push') router.push(url, { scroll: false });
        else router.replace(url, { scroll: false });
      });
    },
    [pathname, router, setOptimisticFilters],
  );
  const changeFilters = useCallback(
    (change: Partial<ListFilters>) => {
      navigate({ ...filters, ...change, cursor: null }, 'search' in change ? 'replace' : 'push');
    },
    [filters, navigate],
  );

  const taskIds = useMemo(() => {
    const ids = new Set<string>(tasks.data?.map((task) => task.id));
    for (const row of stats.data?.byTask ?? []) ids.add(row.taskId);
    return [...ids].sort();
  }, [tasks.data, stats.data]);

  const total = stats.data
    ? Object.values(stats.data.byStatus).reduce((sum, count) => sum + (count ?? 0), 0)
    : null;
  const items = list.data?.items ?? [];
  const nextCursor = list.data?.nextCursor ?? null;
  const previous = previousOf.get(pageKey);

  const goNext = () => {
    if (!nextCursor) return;
    setPreviousOf((map) => new Map(map).set(encodeCursor(nextCursor), filters.cursor));
    navigate({ ...filters, cursor: nextCursor });
  };

  return (
    <div className="page">
      <div className="page-header">
        <h1>Executions</h1>
        <Link className="button button-primary" href="/enqueue">
          Enqueue a task
        </Link>
      </div>
      <RetentionNote />
      {total === 0 && !hasFilters(filters) ? (
        <EmptyState />
      ) : (
        <>
          <ExecutionFilters
            filters={filters}
            stats={stats.data}
            taskIds={taskIds}
            onChange={changeFilters}
          />
          <BulkActions filter={toFilterInput(filters)} />
          {isFullExecutionId(filters.search) && (
            <p className="hint">
              Looking for one execution?{' '}
              <Link href={`/executions/${filters.search}`}>Open {filters.search}</Link>
            </p>
          )}
          {list.error ? (
            <ErrorNotice title="Could not load executions" error={list.error} />
          ) : list.isPending ? (
            <p className="loading" role="status">
              Loading executions…
            </p>
          ) : items.length === 0 ? (
            <div className="empty-filtered" role="status">
              <p>No executions match these filters.</p>
              {hasFilters(filters) && (
                <button
                  type="button"
                  className="button"
                  onClick={() =>
                    navigate({
                      ...filters,
                      statuses: [],
                      taskId: null,
                      rootOnly: false,
                      search: '',
                      where: '',
                      from: '',
                      to: '',
                      cursor: null,
                    })
                  }
                >
                  Clear filters
                </button>
              )}
            </div>
          ) : (
            <div className={list.isPlaceholderData ? 'table-wrap is-stale' : 'table-wrap'}>
              <ExecutionsTable
                items={items}
                now={now}
                caption={`Executions, page ${pageNumber ?? '?'}`}
              />
            </div>
          )}
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="button"
              disabled={!filters.cursor}
              onClick={() => navigate({ ...filters, cursor: null })}
            >
              Newest
            </button>
            <button
              type="button"
              className="button"
              disabled={!filters.cursor || previous === undefined}
              onClick={() => navigate({ ...filters, cursor: previous ?? null })}
            >
              ← Previous
            </button>
            <span className="pager-status" aria-live="polite">
              {pageNumber ? `Page ${pageNumber}` : 'Older page'}
              {items.length > 0 && ` · ${items.length} shown`}
            </span>
            <button type="button" className="button" disabled={!nextCursor} onClick={goNext}>
              Next →
            </button>
          </nav>
        </>
      )}
    </div>
  );
}
