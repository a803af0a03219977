'use client';

import Link from 'next/link';

/** What a newcomer sees before the first execution: how to enqueue one, from here or code. */
export function EmptyState() {
  // Rendered only after the first answer from the API, so in the browser.
  const origin = typeof window === 'undefined' ? '' : window.location.origin;
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <h2 id="empty-title">No executions yet</h2>
      <p>
        An execution is one run of a task. Enqueue a task and an executor picks it up within
        milliseconds; this page updates live as it runs.
      </p>
      <p>
        <Link className="button button-primary" href="/enqueue?task=echo">
          Enqueue your first task
        </Link>{' '}
        <Link className="button" href="/tasks">
          Browse the tasks
        </Link>
      </p>
      <details>
        <summary>Or enqueue from code or the command line</summary>
        <p>From the server, with a task you defined:</p>
        <pre className="code">{`const handle = await executor.enqueueTask(echo, { hello: 'world' });
const finished = await handle.waitAndGetTaskFinishedExecution();`}</pre>
        <p>Over HTTP, through the tRPC API:</p>
        <pre className="code">{`curl -X POST ${origin}/api/trpc/executions.enqueue \\
  -H 'content-type: application/json' \\
  -d '{"json":{"taskId":"echo","input":{"hello":"world"}}}'`}</pre>
      </details>
    </section>
  );
}
