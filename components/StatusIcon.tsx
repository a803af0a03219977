import type { ExecutionStatus } from './trpc/types';

/** A distinct shape per status, so status never relies on colour alone (always with text). */
export function StatusIcon({ status }: { status: ExecutionStatus }) {
  return (
    <svg
      className="status-icon"
      viewBox="0 0 16 16"
      width="14"
      height="14"
      aria-hidden="true"
      focusable="false"
    >
      {shape(status)}
    </svg>
  );
}

function shape(status: ExecutionStatus) {
  const stroke = {
    fill: 'none',
    stroke: 'currentColor',
    strokeWidth: 1.8,
    strokeLinecap: 'round',
    strokeLinejoin: 'round',
  } as const;
  switch (status) {
    case 'ready':
      return <circle cx="8" cy="8" r="5.5" {...stroke} strokeDasharray="2.5 2" />;
    case 'running':
      return (
        <>
          <circle cx="8" cy="8" r="6" {...stroke} opacity="0.35" />
          <path d="M8 2a6 6 0 0 1 6 6" {...stroke} className="status-spin" />
        </>
      );
    case 'waiting_for_children_tasks':
      return (
        <>
          <circle cx="4" cy="3.5" r="1.6" fill="currentColor" />
          <path d="M4 5v7.5h5M4 8.5h5" {...stroke} />
          <circle cx="11.5" cy="8.5" r="1.6" fill="currentColor" />
          <circle cx="11.5" cy="12.5" r="1.6" fill="currentColor" />
        </>
      );
    case 'waiting_for_finalize_task':
      return (
        <path d="M4 2h8M4 14h8M5 2c0 4 6 4 6 6s-6 2-6 6M11 2c0 4-6 4-6 6s6 2 6 6" {...stroke} />
      );
    case 'waiting_for_event':
      return (
        <>
          <path d="M3 6a5 5 0 0 1 10 0v4l1.5 2h-13L3 10z" {...stroke} />
          <path d="M6.5 14h3" {...stroke} />
        </>
      );
    case 'completed':
      return (
        <>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M4.8 8.2l2.2 2.2 4.2-4.6" {...stroke} stroke="var(--icon-on-fill)" />
        </>
      );
    case 'failed':
      return (
        <>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M5.5 5.5l5 5M10.5 5.5l-5 5" {...stroke} stroke="var(--icon-on-fill)" />
        </>
      );
    case 'timed_out':
      return (
        <>
          <circle cx="8" cy="8.5" r="6" {...stroke} />
          <path d="M8 5.5v3.2l2.2 1.3M6.5 1.5h3" {...stroke} />
        </>
      );
    case 'cancelled':
      return (
        <>
          <circle cx="8" cy="8" r="6" {...stroke} />
          <path d="M3.8 12.2l8.4-8.4" {...stroke} />
        </>
      );
    case 'children_tasks_failed':
      return (
        <>
          <path d="M8 1.5l6.5 12H1.5z" fill="currentColor" />
          <path d="M8 6v3.5" {...stroke} stroke="var(--icon-on-fill)" />
          <circle cx="8" cy="11.6" r="0.9" fill="var(--icon-on-fill)" />
        </>
      );
    case 'finalize_task_failed':
      return (
        <>
          <rect x="1.5" y="1.5" width="13" height="13" rx="2" fill="currentColor" />
          <path d="M8 4.5v4.5" {...stroke} stroke="var(--icon-on-fill)" />
          <circle cx="8" cy="11.5" r="0.9" fill="var(--icon-on-fill)" />
        </>
      );
  }
}
