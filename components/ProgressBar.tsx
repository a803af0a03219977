import type { TaskProgress } from '@/server/engine';

/** What a task reported with `ctx.progress`: a bar when it gave a total, else the count. */
export function ProgressBar({ progress }: { progress: TaskProgress }) {
  const { current, total, message } = progress;
  const label = total === undefined ? `${current}` : `${current} / ${total}`;
  return (
    <span className="progress-report" data-testid="execution-progress">
      {total !== undefined && (
        <progress value={Math.min(current, total)} max={Math.max(total, 1)} aria-label="Progress" />
      )}
      <span className="muted">
        {label}
        {message ? ` ${message}` : ''}
      </span>
    </span>
  );
}
