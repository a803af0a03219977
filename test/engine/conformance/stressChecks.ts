/** Consistency rules for one settled stress tree; each broken rule becomes a problem line. */
import type { FinishedTaskExecutionStatus, TaskExecution } from '@/server/engine';
import type { RunRecorder, StressOutput, StressParentInput } from './stressTasks';

export type CancelPlan =
  { kind: 'none' } | { kind: 'parent'; afterMs: number } | { kind: 'child'; index: number };

export interface TreeSnapshot {
  parent: TaskExecution<StressOutput>;
  children: TaskExecution<unknown>[];
  finalize: TaskExecution<unknown> | undefined;
}

/** What a tree left alone must end as, from its inputs only. */
export function expectedStatus(input: StressParentInput): FinishedTaskExecutionStatus {
  if (input.parentFails) return 'failed';
  if (input.childModes.includes('fail')) return 'children_tasks_failed';
  if (input.finalizeFails) return 'finalize_task_failed';
  return 'completed';
}

/** Each attempt of a run that was not cancelled ran exactly once, in order, none skipped. */
function checkAttempts(execution: TaskExecution<unknown>, recorder: RunRecorder): string[] {
  const attempts = recorder.attemptsOf(execution.executionId);
  const last = execution.retryAttempts + execution.recoveryAttempts;
  const label = `${execution.taskId} ${execution.executionId}`;
  if (attempts.some((attempt) => attempt > last)) {
    return [`${label} ran attempts ${attempts.join(',')} but records ${last} as the last`];
  }
  const ranItself = execution.status !== 'cancelled' || execution.error?.errorType !== 'cancelled';
  const expected = Array.from({ length: last + 1 }, (_, i) => i);
  if (ranItself && attempts.join(',') !== expected.join(',')) {
    return [`${label} (${execution.status}) ran attempts [${attempts.join(',')}]`];
  }
  return [];
}

function checkCompleted(tree: TreeSnapshot, input: StressParentInput): string[] {
  const { parent, children, finalize } = tree;
  const problems: string[] = [];
  if (children.length !== input.childModes.length) problems.push(`${children.length} children`);
  if (children.some((c) => c.status !== 'completed')) problems.push('a child is not completed');
  if (finalize?.status !== 'completed') problems.push('finalize is not completed');
  const sum = (input.childModes.length * (input.childModes.length - 1)) / 2;
  const output = parent.status === 'completed' ? parent.output : undefined;
  if (output?.parent !== input.parent || output.sum !== sum) {
    problems.push(`output ${JSON.stringify(output)}`);
  }
  if (
    finalize?.status === 'completed' &&
    JSON.stringify(finalize.output) !== JSON.stringify(output)
  ) {
    problems.push('the output is not the finalize output');
  }
  return problems;
}

function checkChildrenFailed(tree: TreeSnapshot): string[] {
  const { parent, children, finalize } = tree;
  const problems: string[] = [];
  const errors = parent.childrenTasksErrors ?? [];
  if (errors.length === 0) problems.push('no childrenTasksErrors');
  if (finalize) problems.push('a finalize task was created');
  const indexes = errors.map((e) => e.index);
  if (indexes.join(',') !== [...indexes].sort((a, b) => a - b).join(',')) {
    problems.push(`errors not sorted by index: ${indexes.join(',')}`);
  }
  for (const error of errors) {
    const child = children[error.index];
    if (!child || child.executionId !== error.executionId) {
      problems.push(`error ${error.index} names the wrong child`);
    } else if (child.status === 'completed') {
      problems.push(`error ${error.index} names a completed child`);
    }
  }
  for (const [index, child] of children.entries()) {
    if (child.status !== 'completed' && !indexes.includes(index) && child.status !== 'cancelled') {
      problems.push(`child ${index} is ${child.status} but not in childrenTasksErrors`);
    }
  }
  return problems;
}

function checkFinalizeFailed(tree: TreeSnapshot): string[] {
  const problems: string[] = [];
  if (tree.children.some((c) => c.status !== 'completed')) problems.push('a child not completed');
  if (!tree.finalize || tree.finalize.status === 'completed') problems.push('finalize completed');
  if (!tree.parent.finalizeTaskError) problems.push('no finalizeTaskError');
  return problems;
}

export function checkTree(
  tree: TreeSnapshot,
  input: StressParentInput,
  plan: CancelPlan,
  recorder: RunRecorder,
): string[] {
  const { parent, children, finalize } = tree;
  const members = [parent, ...children, ...(finalize ? [finalize] : [])];
  const problems = members.flatMap((member) => checkAttempts(member, recorder));
  for (const member of members) {
    if (member.status === 'timed_out') problems.push(`${member.executionId} timed out`);
  }

  const allowed = new Set<string>([expectedStatus(input)]);
  if (plan.kind === 'parent') allowed.add('cancelled');
  if (plan.kind === 'child') allowed.add('children_tasks_failed');
  if (!allowed.has(parent.status)) {
    problems.push(`expected ${[...allowed].join(' or ')}`);
  }

  switch (parent.status) {
    case 'completed':
      return [...problems, ...checkCompleted(tree, input)];
    case 'children_tasks_failed':
      return [...problems, ...checkChildrenFailed(tree)];
    case 'finalize_task_failed':
      return [...problems, ...checkFinalizeFailed(tree)];
    case 'failed':
      return [
        ...problems,
        ...(children.length > 0 || finalize ? ['children of a failed run'] : []),
      ];
    case 'cancelled':
    case 'timed_out':
      return problems;
    case 'ready':
    case 'running':
    case 'waiting_for_children_tasks':
    case 'waiting_for_finalize_task':
    case 'waiting_for_event':
      return [...problems, `the parent is still ${parent.status}`];
  }
}
