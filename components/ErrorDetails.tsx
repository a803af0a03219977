import type { StoredError } from './trpc/types';

/** A stored execution error: type, message, whether it is retryable, and the stack if kept. */
export function ErrorDetails({ error }: { error: StoredError }) {
  return (
    <div className="error-details">
      <dl className="facts facts-compact">
        <dt>Type</dt>
        <dd className="mono">{error.errorType}</dd>
        <dt>Retryable</dt>
        <dd>{error.isRetryable ? 'Yes' : 'No'}</dd>
      </dl>
      <pre className="code error-message" aria-label="Error message">
        {error.message}
      </pre>
      {error.stack && (
        <details>
          <summary>Stack trace</summary>
          <pre className="code" aria-label="Stack trace">
            {error.stack}
          </pre>
        </details>
      )}
    </div>
  );
}
