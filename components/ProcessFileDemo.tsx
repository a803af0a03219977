'use client';

import { useState } from 'react';
import { useTaskEnqueue, useTaskExecution } from './useTask';

/** Paste a text, process it with `task.processFile`, follow the tree live, cancel it. */
export function ProcessFileDemo() {
  const [content, setContent] = useState('');
  const [slow, setSlow] = useState(false);
  const [executionId, setExecutionId] = useState<string | null>(null);
  const enqueue = useTaskEnqueue('processFile');
  const { execution, children, cancel, error } = useTaskExecution('processFile', executionId);
  const finished = execution?.finishedAt !== undefined;

  return (
    <section aria-label="Process a file">
      <h1>Process a text</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void enqueue
            .mutateAsync({
              input: { fileName: 'pasted.txt', content, ...(slow ? { pauseMs: 10_000 } : {}) },
            })
            .then(({ executionId: id }) => setExecutionId(id));
        }}
      >
        <label htmlFor="demo-content">Text</label>
        <textarea
          id="demo-content"
          value={content}
          onChange={(event) => setContent(event.target.value)}
          rows={8}
        />
        <label>
          <input
            type="checkbox"
            checked={slow}
            onChange={(event) => setSlow(event.target.checked)}
          />
          Slow (each step pauses 10 s)
        </label>
        <button type="submit" disabled={enqueue.isPending}>
          Process
        </button>
      </form>
      {enqueue.error ? <p role="alert">{enqueue.error.message}</p> : null}
      {error ? <p role="alert">{error.message}</p> : null}
      {executionId ? (
        <div aria-label="Execution" data-execution-id={executionId}>
          <p>
            Status: <strong data-testid="demo-status">{execution?.status ?? 'loading'}</strong>
          </p>
          <label htmlFor="demo-progress">
            Children done: {children.done} / {children.total}
          </label>
          <progress id="demo-progress" value={children.done} max={Math.max(children.total, 1)} />
          {!finished ? (
            <button type="button" onClick={() => void cancel()}>
              Cancel
            </button>
          ) : null}
          {execution?.status === 'completed' ? (
            <dl data-testid="demo-output">
              <dt>Title</dt>
              <dd>{execution.output.title}</dd>
              <dt>Words</dt>
              <dd>{execution.output.wordCount}</dd>
              <dt>Summary</dt>
              <dd>{execution.output.summary}</dd>
            </dl>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
