import { STATUS_META } from './status';
import { StatusIcon } from './StatusIcon';
import type { ExecutionStatus } from './trpc/types';

/** Status as icon plus text, toned by colour as a third cue. */
export function StatusBadge({
  status,
  compact = false,
}: {
  status: ExecutionStatus;
  compact?: boolean;
}) {
  const meta = STATUS_META[status];
  return (
    <span className={`status status-${meta.tone}`} title={meta.description} data-status={status}>
      <StatusIcon status={status} />
      <span className={compact ? 'status-label-compact' : undefined}>{meta.label}</span>
    </span>
  );
}
