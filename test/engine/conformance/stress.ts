/**
 * Concurrency stress: several executors on one store run many parent trees with random
 * failures, retries and cancels. Every attempt runs exactly once, no parent stays active and
 * every finished tree is consistent with what its inputs and cancels allow.
 */
import { describe, expect, it } from 'vitest';
import { isFinishedStatus } from '@/server/engine';
import type { DurableExecutor, TaskExecution, TaskHandle } from '@/server/engine';
import { delay, waitFor } from '../helpers';
import { useEngineHarness, waitFinished, type EngineStoreFactory } from './harness';
import { checkTree, type CancelPlan, type TreeSnapshot } from './stressChecks';
import {
  createPrng,
  defineStressTasks,
  generateParentInput,
  RunRecorder,
  type StressOutput,
  type StressTasks,
} from './stressTasks';

export interface StressOptions {
  parents?: number;
  childrenPerParent?: number;
  executors?: number;
  seed?: number;
}

async function runCancelPlan(
  plan: CancelPlan,
  handle: TaskHandle<StressOutput>,
  canceller: DurableExecutor,
  tasks: StressTasks,
): Promise<void> {
  if (plan.kind === 'none') return;
  if (plan.kind === 'parent') {
    await delay(plan.afterMs);
    await handle.cancel();
    return;
  }
  let childId: string | undefined;
  await waitFor(
    async () => {
      const parent = await handle.getTaskExecution();
      childId = parent.childrenTasks?.[plan.index]?.executionId;
      return childId !== undefined || isFinishedStatus(parent.status);
    },
    { timeoutMs: 30_000, message: 'the parent to have children' },
  );
  if (childId) await (await canceller.getTaskHandle(tasks.child, childId)).cancel();
}

async function readExecution(
  executor: DurableExecutor,
  tasks: StressTasks,
  executionId: string | undefined,
  kind: 'child' | 'finalize',
): Promise<TaskExecution<unknown> | undefined> {
  if (!executionId) return undefined;
  const task = kind === 'child' ? tasks.child : tasks.finalize;
  return (await executor.getTaskHandle(task, executionId)).getTaskExecution();
}

/** Reads a parent's whole tree once every member has finished. */
async function settledTree(
  executor: DurableExecutor,
  tasks: StressTasks,
  handle: TaskHandle<StressOutput>,
): Promise<TreeSnapshot> {
  let snapshot: TreeSnapshot | undefined;
  await waitFor(
    async () => {
      const parent = await handle.getTaskExecution();
      const children = await Promise.all(
        (parent.childrenTasks ?? []).map((c) =>
          readExecution(executor, tasks, c.executionId, 'child'),
        ),
      );
      const finalize = await readExecution(
        executor,
        tasks,
        parent.finalizeTask?.executionId,
        'finalize',
      );
      const members = [parent, ...children, finalize].filter((m) => m !== undefined);
      snapshot = { parent, children: children.filter((c) => c !== undefined), finalize };
      return members.every((member) => isFinishedStatus(member.status));
    },
    { timeoutMs: 30_000, intervalMs: 20, message: 'every tree member to finish' },
  );
  if (!snapshot) throw new Error('no snapshot');
  return snapshot;
}

export function describeEngineStress(
  name: string,
  factory: EngineStoreFactory,
  options: StressOptions = {},
): void {
  const { parents = 200, childrenPerParent = 10, executors: executorCount = 4 } = options;
  const seed = options.seed ?? 20_240_601;

  describe(`engine stress: ${name}`, { timeout: 120_000 }, () => {
    const engine = useEngineHarness(factory);

    it(`${executorCount} executors run ${parents} parents x ${childrenPerParent} children + finalize, each attempt once`, async () => {
      const recorder = new RunRecorder();
      const executors = Array.from({ length: executorCount }, () => engine.createExecutor());
      const tasks = executors.map((executor) => defineStressTasks(executor, recorder));
      const pick = <T>(items: T[], i: number): T => items[i % items.length] as T;

      const random = createPrng(seed);
      const inputs = Array.from({ length: parents }, (_, p) =>
        generateParentInput(random, p, childrenPerParent),
      );
      const plans = inputs.map((): CancelPlan => {
        const roll = random();
        if (roll < 0.08) return { kind: 'parent', afterMs: Math.floor(random() * 40) };
        if (roll < 0.13) return { kind: 'child', index: Math.floor(random() * childrenPerParent) };
        return { kind: 'none' };
      });

      for (const executor of executors) executor.start();
      const handles = await Promise.all(
        inputs.map((input, p) => pick(executors, p).enqueueTask(pick(tasks, p).parent, input)),
      );
      const cancels = handles.map((handle, p) =>
        runCancelPlan(pick(plans, p), handle, pick(executors, p + 1), pick(tasks, p + 1)),
      );
      const finished = await Promise.all(handles.map((handle) => waitFinished(handle)));
      await Promise.all(cancels);
      expect(finished.filter((e) => !isFinishedStatus(e.status))).toEqual([]);

      expect(recorder.runs.duplicates()).toEqual([]);
      const problems: string[] = [];
      const statusCounts = new Map<string, number>();
      for (const [p, handle] of handles.entries()) {
        const tree = await settledTree(pick(executors, p), pick(tasks, p), handle);
        statusCounts.set(tree.parent.status, (statusCounts.get(tree.parent.status) ?? 0) + 1);
        problems.push(
          ...checkTree(tree, pick(inputs, p), pick(plans, p), recorder).map(
            (problem) => `parent ${p} (${tree.parent.status}): ${problem}`,
          ),
        );
      }
      expect(problems).toEqual([]);
      // The seed must exercise every outcome, or the test proves less than it claims.
      for (const status of [
        'completed',
        'children_tasks_failed',
        'finalize_task_failed',
        'failed',
      ]) {
        expect(statusCounts.get(status) ?? 0, status).toBeGreaterThan(0);
      }
    });
  });
}
