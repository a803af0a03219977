'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { usePathname } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { ErrorNotice } from './ErrorNotice';
import { useTRPC } from './trpc/react';
import type { RouterInputs } from './trpc/types';
import { useAuth } from './useAuth';

type BulkFilter = RouterInputs['executions']['bulk']['count']['filter'];
type Kind = RouterInputs['executions']['bulk']['start']['kind'];

const LABELS: Record<Kind, { button: string; verb: string; past: string }> = {
  cancel: { button: 'Cancel all matching…', verb: 'Cancel', past: 'Cancelled' },
  rerun: { button: 'Rerun all matching…', verb: 'Rerun', past: 'Rerun' },
};

/**
 * "Cancel all matching" and "Rerun all matching" for the list's filter: a confirmation that
 * shows the count first, then the background operation's progress.
 */
export function BulkActions({ filter }: { filter: BulkFilter }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const auth = useAuth();
  const dialog = useRef<HTMLDialogElement>(null);
  const [kind, setKind] = useState<Kind | null>(null);
  const [operationId, setOperationId] = useState<string | null>(null);

  const count = useQuery(
    trpc.executions.bulk.count.queryOptions({ filter }, { enabled: kind !== null, staleTime: 0 }),
  );
  const start = useMutation(
    trpc.executions.bulk.start.mutationOptions({
      onSuccess: (operation) => {
        setOperationId(operation.operationId);
        dialog.current?.close();
      },
    }),
  );
  const operation = useQuery(
    trpc.executions.bulk.get.queryOptions(
      { operationId: operationId ?? '' },
      {
        enabled: operationId !== null,
        refetchInterval: (query) => (query.state.data?.state === 'running' ? 500 : false),
      },
    ),
  );

  // Once the operation finishes, the list and counts show its effect.
  const finishedState = operation.data?.state === 'running' ? null : operation.data?.state;
  useEffect(() => {
    if (finishedState) void queryClient.invalidateQueries(trpc.executions.list.pathFilter());
    if (finishedState) void queryClient.invalidateQueries(trpc.executions.stats.pathFilter());
  }, [finishedState, queryClient, trpc]);

  if (!auth.loaded || !auth.canAct) return null;
  const open = (next: Kind) => {
    setKind(next);
    start.reset();
    void count.refetch();
    dialog.current?.showModal();
  };
  const labels = kind ? LABELS[kind] : LABELS.cancel;
  const progress = operation.data;
  const matching = count.data?.count;

  return (
    <div className="bulk-actions">
      <div className="actions">
        <button
          type="button"
          className="button button-danger button-small"
          onClick={() => open('cancel')}
        >
          {LABELS.cancel.button}
        </button>
        <button type="button" className="button button-small" onClick={() => open('rerun')}>
          {LABELS.rerun.button}
        </button>
      </div>
      {progress && (
        <div className="bulk-progress" role="status" aria-label="Bulk operation">
          <progress value={progress.done + progress.failed} max={Math.max(1, progress.total)} />
          <span>
            {LABELS[progress.kind].past} {progress.done.toLocaleString()} of{' '}
            {progress.total.toLocaleString()}
            {progress.failed > 0 && ` · ${progress.failed.toLocaleString()} failed`}
            {progress.state === 'running'
              ? '…'
              : progress.state === 'completed'
                ? ' · done'
                : ' · stopped'}
          </span>
          {progress.lastError && <span className="hint"> Last error: {progress.lastError}</span>}
        </div>
      )}
      <dialog ref={dialog} className="dialog" aria-labelledby="bulk-title">
        <h2 id="bulk-title">{labels.verb} all matching executions?</h2>
        <p>
          {matching === undefined
            ? 'Counting the executions that match the current filters…'
            : kind === 'cancel'
              ? `${matching.toLocaleString()} executions match the current filters. Each one still active is cancelled, with its active descendants; running code receives its cancel signal. This cannot be undone.`
              : `${matching.toLocaleString()} executions match the current filters. Each one is enqueued again with the same input.`}
        </p>
        {(count.error ?? start.error) && (
          <ErrorNotice
            title={`Could not ${labels.verb.toLowerCase()}`}
            error={(count.error ?? start.error)!}
            returnTo={pathname}
          />
        )}
        <div className="dialog-actions">
          <button
            type="button"
            className="button"
            autoFocus
            onClick={() => dialog.current?.close()}
          >
            Keep them
          </button>
          <button
            type="button"
            className={kind === 'cancel' ? 'button button-danger' : 'button button-primary'}
            disabled={matching === undefined || matching === 0 || start.isPending}
            onClick={() => kind && start.mutate({ kind, target: { filter } })}
          >
            {start.isPending
              ? 'Starting…'
              : `${labels.verb} ${matching === undefined ? '' : matching.toLocaleString()} executions`}
          </button>
        </div>
      </dialog>
    </div>
  );
}
