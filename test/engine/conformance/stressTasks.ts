/**
 * The stress workload: a parent with children and a finalize task, whose behaviour (failures,
 * retries, slowness) is decided by a seeded PRNG when inputs are generated, and whose every
 * run is recorded by (executionId, attempt) to prove each attempt ran exactly once.
 */
import { DurableExecutionError } from '@/server/engine';
import type { DurableExecutor, DurableTask, FinalizeTaskInput } from '@/server/engine';
import { CallCounter, delay } from '../helpers';

export type ChildMode = 'ok' | 'flaky' | 'slow' | 'fail';

export interface StressParentInput {
  parent: number;
  parentFails: boolean;
  finalizeFails: boolean;
  childModes: ChildMode[];
}

export interface StressChildInput {
  parent: number;
  index: number;
  mode: ChildMode;
}

export interface StressOutput {
  parent: number;
  sum: number;
}

/** Mulberry32: a tiny deterministic PRNG returning floats in [0, 1). */
export function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateParentInput(
  random: () => number,
  parent: number,
  childrenPerParent: number,
): StressParentInput {
  const childModes = Array.from({ length: childrenPerParent }, (): ChildMode => {
    const roll = random();
    if (roll < 0.01) return 'fail';
    if (roll < 0.11) return 'flaky';
    if (roll < 0.21) return 'slow';
    return 'ok';
  });
  return {
    parent,
    parentFails: random() < 0.02,
    finalizeFails: random() < 0.05,
    childModes,
  };
}

/** Every run of every executor, keyed by execution and attempt. */
export class RunRecorder {
  readonly runs = new CallCounter();
  private readonly attemptsByExecution = new Map<string, number[]>();

  record(executionId: string, attempt: number): void {
    this.runs.record(`${executionId}#${attempt}`);
    const attempts = this.attemptsByExecution.get(executionId) ?? [];
    attempts.push(attempt);
    this.attemptsByExecution.set(executionId, attempts);
  }

  attemptsOf(executionId: string): number[] {
    return [...(this.attemptsByExecution.get(executionId) ?? [])].sort((a, b) => a - b);
  }
}

export interface StressTasks {
  parent: DurableTask<StressParentInput, StressOutput>;
  child: DurableTask<StressChildInput, number>;
  finalize: DurableTask<FinalizeTaskInput<StressParentInput, number>, StressOutput>;
}

/** Defines the workload on one executor; every executor defines the same ids. */
export function defineStressTasks(executor: DurableExecutor, recorder: RunRecorder): StressTasks {
  const child = executor.task({
    id: 'stress_child',
    timeoutMs: 10_000,
    retryOptions: { maxAttempts: 2 },
    run: async (ctx, input: StressChildInput) => {
      recorder.record(ctx.executionId, ctx.attempt);
      switch (input.mode) {
        case 'ok':
          return input.index;
        case 'slow':
          await delay(1 + (input.index % 4));
          return input.index;
        case 'flaky':
          if (ctx.attempt === 0) throw new Error(`flaky child ${input.parent}/${input.index}`);
          return input.index;
        case 'fail':
          throw new DurableExecutionError(`child ${input.parent}/${input.index} failed`, false);
      }
    },
  });
  const finalize = executor.task({
    id: 'stress_finalize',
    timeoutMs: 10_000,
    run: (ctx, input: FinalizeTaskInput<StressParentInput, number>): StressOutput => {
      recorder.record(ctx.executionId, ctx.attempt);
      if (input.input.finalizeFails) {
        throw new DurableExecutionError(`finalize ${input.input.parent} failed`, false);
      }
      const sum = input.childrenTasksOutputs.reduce((acc, c) => acc + (c.output as number), 0);
      return { parent: input.output, sum };
    },
  });
  const parent = executor.parentTask({
    id: 'stress_parent',
    timeoutMs: 10_000,
    runParent: (ctx, input: StressParentInput) => {
      recorder.record(ctx.executionId, ctx.attempt);
      if (input.parentFails) {
        throw new DurableExecutionError(`parent ${input.parent} failed`, false);
      }
      return {
        output: input.parent,
        childrenTasks: input.childModes.map((mode, index) => ({
          task: child,
          input: { parent: input.parent, index, mode },
        })),
      };
    },
    finalizeTask: finalize,
  });
  return { parent, child, finalize };
}
