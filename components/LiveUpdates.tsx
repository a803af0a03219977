'use client';

/**
 * One subscription to `executions.onUpdate` for the whole dashboard. Each batch of changed ids
 * invalidates the queries that can show them: lists and counts always, a `get` when its id
 * changed, a tree when one of its nodes changed. Invalidations are merged so a busy engine
 * costs at most one refetch of each visible query per `FLUSH_INTERVAL_MS`.
 */
import { useQueryClient, type Query } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { createContext, useCallback, useContext, useEffect, useRef, type ReactNode } from 'react';
import { useTRPC } from './trpc/react';
import type { RouterOutputs } from './trpc/types';

const FLUSH_INTERVAL_MS = 500;

export type LiveState = 'connecting' | 'live' | 'offline';

const LiveContext = createContext<LiveState>('connecting');

/** Whether live updates arrive; views poll instead while they do not. */
export function useLiveState(): LiveState {
  return useContext(LiveContext);
}

export function LiveUpdates({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pending = useRef<{ all: boolean; ids: Set<string> }>({ all: false, ids: new Set() });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastFlush = useRef(0);

  const flush = useCallback(() => {
    timer.current = null;
    lastFlush.current = Date.now();
    const { all, ids } = pending.current;
    pending.current = { all: false, ids: new Set() };
    const refetchType = document.hidden ? 'none' : 'active';
    const touches = (id: string | undefined) => all || (id !== undefined && ids.has(id));

    void queryClient.invalidateQueries({ ...trpc.executions.list.pathFilter(), refetchType });
    void queryClient.invalidateQueries({ ...trpc.executions.stats.pathFilter(), refetchType });
    void queryClient.invalidateQueries({
      ...trpc.executions.get.pathFilter(),
      refetchType,
      // A parent's details show its children and finalize task: their changes concern it too.
      predicate: (query: Query) =>
        touches(inputExecutionId(query)) ||
        relatedIds(query.state.data as RouterOutputs['executions']['get'] | undefined).some(
          touches,
        ),
    });
    void queryClient.invalidateQueries({
      ...trpc.executions.tree.pathFilter(),
      refetchType,
      predicate: (query: Query) => {
        if (all || touches(inputExecutionId(query))) return true;
        const data = query.state.data as RouterOutputs['executions']['tree'] | undefined;
        return data?.nodes.some((node) => ids.has(node.executionId)) ?? true;
      },
    });
  }, [queryClient, trpc]);

  const schedule = useCallback(
    (ids: readonly string[] | null) => {
      if (ids === null || ids.length === 0) pending.current.all = true;
      else for (const id of ids) pending.current.ids.add(id);
      if (timer.current !== null) return;
      const wait = Math.max(0, lastFlush.current + FLUSH_INTERVAL_MS - Date.now());
      timer.current = setTimeout(flush, wait);
    },
    [flush],
  );

  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );

  const subscription = useSubscription(
    trpc.executions.onUpdate.subscriptionOptions(undefined, {
      // After a (re)connection, whatever happened meanwhile is unknown: refresh everything.
      onStarted: () => schedule(null),
      onData: (ids) => schedule(ids),
    }),
  );

  const state: LiveState =
    subscription.status === 'pending'
      ? 'live'
      : subscription.status === 'error'
        ? 'offline'
        : 'connecting';
  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

function relatedIds(execution: RouterOutputs['executions']['get'] | undefined): string[] {
  if (!execution) return [];
  return [
    ...(execution.childrenTasks ?? []).map((child) => child.executionId),
    ...(execution.finalizeTask ? [execution.finalizeTask.executionId] : []),
    ...(execution.parentTask ? [execution.parentTask.executionId] : []),
  ];
}

function inputExecutionId(query: Query): string | undefined {
  const key = query.queryKey as [unknown, { input?: { executionId?: unknown } }?];
  const id = key[1]?.input?.executionId;
  return typeof id === 'string' ? id : undefined;
}

export function LiveIndicator() {
  const state = useLiveState();
  const text = {
    live: 'Live',
    connecting: 'Connecting…',
    offline: 'Offline: refreshing every few seconds',
  }[state];
  return (
    <span className={`live live-${state}`} role="status" title="Live updates from the server">
      <span className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}
