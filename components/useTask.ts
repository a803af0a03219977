'use client';

/**
 * Hooks for the app's own pages: enqueue a catalog task and follow one execution, typed by
 * the task (input, output by status, progress), live over the task's scoped SSE stream.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback } from 'react';
import { useTRPC } from './trpc/react';
import type { TaskProgress } from '@/server/engine';
import type { RouterInputs, RouterOutputs } from './trpc/types';

export type TaskId = keyof RouterOutputs['task'];
export type TaskEnqueueInput<K extends TaskId> = RouterInputs['task'][K]['enqueue'];
export type TaskExecutionOf<K extends TaskId> = RouterOutputs['task'][K]['get'];

/** The generic shape every task router has, for indexing by a type parameter. */
interface AnyTaskProcedures {
  enqueue: { mutationOptions: () => object };
  get: {
    queryOptions: (input: { executionId: string }) => object;
    queryKey: (input: { executionId: string }) => unknown[];
  };
  cancel: { mutationOptions: () => object };
  onUpdate: {
    subscriptionOptions: (input: { executionId: string } | symbol, opts: object) => object;
  };
}

function useTaskProcedures(taskId: TaskId): AnyTaskProcedures {
  const trpc = useTRPC();
  return trpc.task[taskId] as unknown as AnyTaskProcedures;
}

/** `mutate({ input, options? })` / `mutateAsync` enqueue one execution of `taskId`. */
export function useTaskEnqueue<K extends TaskId>(taskId: K) {
  const procedures = useTaskProcedures(taskId);
  type Result = RouterOutputs['task'][K]['enqueue'];
  return useMutation<Result, Error, TaskEnqueueInput<K>>(procedures.enqueue.mutationOptions());
}

export interface TaskExecutionState<K extends TaskId> {
  execution: TaskExecutionOf<K> | undefined;
  /** The progress the task's code last reported. */
  progress: TaskProgress | undefined;
  /** Children of the execution's tree that finished, of how many (0 of 0 before any). */
  children: { done: number; total: number };
  live: boolean;
  error: Error | null;
  cancel: () => Promise<void>;
}

/** Follows `executionId` of `taskId`: refetched when its tree changes (no polling). */
export function useTaskExecution<K extends TaskId>(
  taskId: K,
  executionId: string | null,
): TaskExecutionState<K> {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const procedures = useTaskProcedures(taskId);
  const input = executionId ? { executionId } : null;
  const get = useQuery({
    ...(procedures.get.queryOptions(input ?? { executionId: '' }) as {
      queryKey: unknown[];
      queryFn: () => Promise<TaskExecutionOf<K>>;
    }),
    enabled: input !== null,
  });
  const tree = useQuery({
    ...trpc.executions.tree.queryOptions(input ?? { executionId: '' }),
    enabled: input !== null,
  });
  const subscription = useSubscription({
    ...(procedures.onUpdate.subscriptionOptions(input ?? Symbol.for('skip'), {
      onData: () => {
        void get.refetch();
        void tree.refetch();
      },
    }) as Parameters<typeof useSubscription>[0]),
    enabled: input !== null,
  });
  const cancelMutation = useMutation(
    procedures.cancel.mutationOptions() as Parameters<
      typeof useMutation<unknown, Error, { executionId: string }>
    >[0],
  );
  const cancel = useCallback(async () => {
    if (!executionId) return;
    await cancelMutation.mutateAsync({ executionId });
    await queryClient.invalidateQueries({ queryKey: procedures.get.queryKey({ executionId }) });
  }, [cancelMutation, executionId, procedures, queryClient]);
  // The tree's children (at any depth); finalize steps are the parent's own, not children.
  const nodes = tree.data?.nodes.slice(1).filter((node) => !node.isFinalizeTask) ?? [];
  const execution = get.data;
  return {
    execution,
    progress: (execution as { progress?: TaskProgress } | undefined)?.progress,
    children: {
      done: nodes.filter((node) => node.finishedAt !== null).length,
      total: nodes.length,
    },
    live: subscription.status === 'pending',
    error: get.error ?? cancelMutation.error ?? null,
    cancel,
  };
}
