/** Every execution status with its label, its group and whether it is still active. */
import type { ExecutionStatus } from './trpc/types';

export type StatusTone = 'neutral' | 'active' | 'waiting' | 'success' | 'danger' | 'muted';

interface StatusMeta {
  label: string;
  tone: StatusTone;
  active: boolean;
  description: string;
}

export const STATUS_META = {
  ready: {
    label: 'Ready',
    tone: 'neutral',
    active: true,
    description: 'Waiting to be claimed by an executor',
  },
  running: { label: 'Running', tone: 'active', active: true, description: 'Its code is running' },
  waiting_for_children_tasks: {
    label: 'Waiting for children',
    tone: 'waiting',
    active: true,
    description: 'Ran; waits for its children tasks to finish',
  },
  waiting_for_finalize_task: {
    label: 'Waiting for finalize',
    tone: 'waiting',
    active: true,
    description: 'Children finished; waits for its finalize task',
  },
  waiting_for_event: {
    label: 'Waiting for event',
    tone: 'waiting',
    active: true,
    description: 'A sleeping task: waits for its wakeup, or its deadline',
  },
  completed: { label: 'Completed', tone: 'success', active: false, description: 'Finished' },
  failed: { label: 'Failed', tone: 'danger', active: false, description: 'Its run failed' },
  timed_out: {
    label: 'Timed out',
    tone: 'danger',
    active: false,
    description: 'Its run took longer than its timeout',
  },
  cancelled: { label: 'Cancelled', tone: 'muted', active: false, description: 'Cancelled' },
  children_tasks_failed: {
    label: 'Children failed',
    tone: 'danger',
    active: false,
    description: 'One of its children tasks failed',
  },
  finalize_task_failed: {
    label: 'Finalize failed',
    tone: 'danger',
    active: false,
    description: 'Its finalize task failed',
  },
} as const satisfies Record<ExecutionStatus, StatusMeta>;

export const ALL_STATUSES = Object.keys(STATUS_META) as ExecutionStatus[];

export function isStatus(value: string): value is ExecutionStatus {
  return Object.hasOwn(STATUS_META, value);
}

export function isActiveStatus(status: ExecutionStatus): boolean {
  return STATUS_META[status].active;
}
