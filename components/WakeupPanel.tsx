'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useId, useState } from 'react';
import { ErrorNotice } from './ErrorNotice';
import { formatRelative, formatTimestamp } from './format';
import { useTRPC } from './trpc/react';
import type { ExecutionDetails } from './trpc/types';
import { loginHref, useAuth } from './useAuth';

/**
 * A sleeping execution (`waiting_for_event`): what it waits for, since when, its deadline,
 * and a form that completes it with a JSON output or fails it with a reason.
 */
export function WakeupPanel({ execution, now }: { execution: ExecutionDetails; now: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const pathname = usePathname();
  const auth = useAuth();
  const ids = { output: useId(), reason: useId(), error: useId() };
  const [output, setOutput] = useState('{\n  "approved": true\n}');
  const [reason, setReason] = useState('');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const wakeup = useMutation(
    trpc.executions.wakeup.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.executions.pathFilter()),
    }),
  );
  const target = { executionId: execution.executionId };

  const complete = () => {
    let value: unknown;
    try {
      value = JSON.parse(output);
    } catch (error) {
      setJsonError(`Not valid JSON: ${(error as Error).message}`);
      return;
    }
    setJsonError(null);
    wakeup.mutate({ target, outcome: { status: 'completed', output: value } });
  };
  const fail = () =>
    wakeup.mutate({
      target,
      outcome: { status: 'failed', message: reason.trim() || 'Failed from the dashboard' },
    });

  return (
    <section className="details-section" aria-label="Waiting for an event">
      <h3>Waiting for an event</h3>
      <p>
        Waits for a wakeup of <span className="task-name">{execution.taskId}</span> with unique id{' '}
        <code className="mono">{String(execution.runInput)}</code> since{' '}
        <time dateTime={execution.createdAt.toISOString()}>
          {formatTimestamp(execution.createdAt)}
        </time>
        {execution.expiresAt && (
          <>
            ; times out at{' '}
            <time dateTime={execution.expiresAt.toISOString()}>
              {formatTimestamp(execution.expiresAt)}
            </time>{' '}
            <span className="muted">({formatRelative(execution.expiresAt, now)})</span>
          </>
        )}
        .
      </p>
      {!auth.loaded ? null : !auth.canAct ? (
        <p className="actions">
          <Link className="button button-small" href={loginHref(pathname)}>
            Log in to complete or fail it
          </Link>
        </p>
      ) : (
        <>
          <div className="field">
            <label htmlFor={ids.output}>Output (JSON)</label>
            <textarea
              id={ids.output}
              className="json-editor"
              value={output}
              rows={4}
              spellCheck={false}
              aria-invalid={jsonError !== null}
              aria-describedby={jsonError ? ids.error : undefined}
              onChange={(event) => setOutput(event.target.value)}
            />
            {jsonError && (
              <div id={ids.error} className="field-error" role="alert">
                <p>{jsonError}</p>
              </div>
            )}
          </div>
          <div className="field">
            <label htmlFor={ids.reason}>Reason to fail (optional)</label>
            <input
              id={ids.reason}
              type="text"
              value={reason}
              maxLength={10_000}
              onChange={(event) => setReason(event.target.value)}
            />
          </div>
          <div className="actions">
            <button
              type="button"
              className="button button-small"
              disabled={wakeup.isPending}
              onClick={complete}
            >
              Complete
            </button>
            <button
              type="button"
              className="button button-danger button-small"
              disabled={wakeup.isPending}
              onClick={fail}
            >
              Fail
            </button>
          </div>
          {wakeup.error && (
            <ErrorNotice title="Could not wake it up" error={wakeup.error} returnTo={pathname} />
          )}
        </>
      )}
    </section>
  );
}
