'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useRef } from 'react';
import { ErrorNotice } from './ErrorNotice';
import { isActiveStatus } from './status';
import { useTRPC } from './trpc/react';
import type { ExecutionSummary } from './trpc/types';
import { loginHref, useAuth } from './useAuth';

interface Props {
  execution: Pick<ExecutionSummary, 'executionId' | 'taskId' | 'status'>;
  /** Active executions below it, cancelled with it. */
  activeDescendants: number;
}

/** Cancel (after a confirmation in a native dialog) and rerun with the same input. */
export function ExecutionActions({ execution, activeDescendants }: Props) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const auth = useAuth();
  const dialog = useRef<HTMLDialogElement>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.executions.pathFilter());

  const cancel = useMutation(
    trpc.executions.cancel.mutationOptions({
      onSuccess: () => dialog.current?.close(),
      onSettled: refresh,
    }),
  );
  const rerun = useMutation(
    trpc.executions.rerun.mutationOptions({
      onSuccess: ({ executionId }) => {
        void refresh();
        router.push(`/executions/${executionId}`);
      },
    }),
  );

  if (!auth.loaded) return null;
  if (!auth.canAct) {
    return (
      <p className="actions">
        <Link className="button button-small" href={loginHref(pathname)}>
          Log in to cancel or rerun
        </Link>
      </p>
    );
  }

  const active = isActiveStatus(execution.status);
  return (
    <div className="actions-wrap">
      <div className="actions">
        {active && (
          <button
            type="button"
            className="button button-danger button-small"
            onClick={() => {
              cancel.reset();
              dialog.current?.showModal();
            }}
          >
            Cancel…
          </button>
        )}
        <button
          type="button"
          className="button button-small"
          disabled={rerun.isPending}
          onClick={() => rerun.mutate({ executionId: execution.executionId })}
        >
          {rerun.isPending ? 'Rerunning…' : 'Rerun'}
        </button>
      </div>
      {rerun.error && (
        <ErrorNotice title="Could not rerun" error={rerun.error} returnTo={pathname} />
      )}
      <dialog ref={dialog} className="dialog" aria-labelledby="cancel-title">
        <h2 id="cancel-title">Cancel this execution?</h2>
        <p>
          <span className="task-name">{execution.taskId}</span>{' '}
          <span className="mono">{execution.executionId}</span>
          {activeDescendants > 0
            ? ` and its ${activeDescendants} active descendant${activeDescendants === 1 ? '' : 's'}`
            : ''}{' '}
          will be cancelled. Running code receives its cancel signal. This cannot be undone.
        </p>
        {cancel.error && (
          <ErrorNotice title="Could not cancel" error={cancel.error} returnTo={pathname} />
        )}
        <div className="dialog-actions">
          <button
            type="button"
            className="button"
            autoFocus
            onClick={() => dialog.current?.close()}
          >
            Keep running
          </button>
          <button
            type="button"
            className="button button-danger"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate({ executionId: execution.executionId })}
          >
            {cancel.isPending ? 'Cancelling…' : 'Cancel execution'}
          </button>
        </div>
      </dialog>
    </div>
  );
}
