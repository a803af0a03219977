/** Diagnostic tasks, always registered: small, predictable behaviours to exercise the engine. */
import { setTimeout as sleep } from 'node:timers/promises';
import { DurableExecutionError, type DurableExecutor } from '@/server/engine';
import {
  bestEffortInput,
  echoInput,
  failInput,
  fanOutInput,
  flakyInput,
  pipelineInput,
  sleepInput,
  tenantSleepInput,
} from './schemas';

export function defineDiagnosticTasks(executor: DurableExecutor) {
  const echo = executor.inputSchema(echoInput).task({
    id: 'echo',
    timeoutMs: 10_000,
    run: (_ctx, input) => input,
  });

  const sleepTask = executor.inputSchema(sleepInput).task({
    id: 'sleep',
    timeoutMs: 15 * 60_000,
    run: async (ctx, { ms }) => {
      await sleep(ms, undefined, { signal: ctx.cancelSignal.abortSignal });
      return { sleptMs: ms };
    },
  });

  const fail = executor.inputSchema(failInput).task({
    id: 'fail',
    timeoutMs: 10_000,
    retryOptions: { maxAttempts: 2, baseDelayMs: 100, delayMultiplier: 2 },
    run: (_ctx, { message, retryable }): never => {
      throw new DurableExecutionError(message, retryable ?? false);
    },
  });

  const flaky = executor.inputSchema(flakyInput).task({
    id: 'flaky',
    timeoutMs: 10_000,
    retryOptions: { maxAttempts: 10, baseDelayMs: 50, delayMultiplier: 2, maxDelayMs: 1_000 },
    run: (ctx, { failures }) => {
      if (ctx.attempt < failures) {
        throw new DurableExecutionError(`Planned failure ${ctx.attempt + 1} of ${failures}`);
      }
      return { succeededOnAttempt: ctx.attempt };
    },
  });

  const fanOutSum = executor.task({
    id: 'fanOutSum',
    timeoutMs: 10_000,
    run: (_ctx, { childrenTasksOutputs }: { childrenTasksOutputs: { output: unknown }[] }) => ({
      children: childrenTasksOutputs.length,
      totalSleptMs: childrenTasksOutputs.reduce(
        (sum, child) => sum + ((child.output as { sleptMs?: number } | undefined)?.sleptMs ?? 0),
        0,
      ),
    }),
  });

  const fanOut = executor.inputSchema(fanOutInput).parentTask({
    id: 'fanOut',
    timeoutMs: 10_000,
    runParent: (_ctx, { count, sleepMs }) => ({
      output: { count },
      childrenTasks: Array.from({ length: count }, () => ({
        task: sleepTask,
        input: { ms: sleepMs ?? 0 },
      })),
    }),
    finalizeTask: fanOutSum,
  });

  const bestEffortChild = executor.task({
    id: 'bestEffortChild',
    timeoutMs: 10_000,
    run: (_ctx, { index, fail }: { index: number; fail: boolean }) => {
      if (fail) throw new DurableExecutionError(`Child ${index} failed as planned`, false);
      return { index };
    },
  });

  const bestEffort = executor.inputSchema(bestEffortInput).parentTask({
    id: 'bestEffort',
    timeoutMs: 10_000,
    onChildFailure: 'continue',
    runParent: (_ctx, { count, failIndexes }) => ({
      output: { count },
      childrenTasks: Array.from({ length: count }, (_, index) => ({
        task: bestEffortChild,
        input: { index, fail: failIndexes.includes(index) },
      })),
    }),
    finalizeTask: {
      id: 'bestEffortSummary',
      timeoutMs: 10_000,
      run: (_ctx, { childrenTasksOutputs }) => ({
        completed: childrenTasksOutputs.filter((child) => child.status === 'completed').length,
        failed: childrenTasksOutputs.filter((child) => child.status !== 'completed').length,
      }),
    },
  });

  const tenantSleep = executor.inputSchema(tenantSleepInput).task({
    id: 'tenantSleep',
    timeoutMs: 15 * 60_000,
    concurrency: { limit: 1, key: ({ tenant }) => tenant },
    rateLimit: { limit: 20, periodMs: 60_000 },
    run: async (ctx, { ms }) => {
      await sleep(ms, undefined, { signal: ctx.cancelSignal.abortSignal });
      return { sleptMs: ms };
    },
  });

  const normalize = executor.inputSchema(pipelineInput).task({
    id: 'pipelineNormalize',
    timeoutMs: 10_000,
    run: (_ctx, { text }) => ({ text: text.trim().toLowerCase() }),
  });
  const tokenize = executor.task({
    id: 'pipelineTokenize',
    timeoutMs: 10_000,
    run: (_ctx, { text }: { text: string }) => ({ words: text.split(/\W+/).filter(Boolean) }),
  });
  const count = executor.task({
    id: 'pipelineCount',
    timeoutMs: 10_000,
    run: (_ctx, { words }: { words: string[] }) => ({
      wordCount: words.length,
      uniqueWords: new Set(words).size,
    }),
  });
  const steps = executor.sequentialTasks(normalize, tokenize, count);
  // A named parent around the sequence, so clients enqueue it as `pipeline` (sequence ids are
  // derived from their members).
  const pipelineOutput = executor.task({
    id: 'pipelineOutput',
    timeoutMs: 10_000,
    run: (_ctx, { childrenTasksOutputs }: { childrenTasksOutputs: { output: unknown }[] }) =>
      childrenTasksOutputs[0]?.output as { wordCount: number; uniqueWords: number },
  });
  const pipeline = executor.inputSchema(pipelineInput).parentTask({
    id: 'pipeline',
    timeoutMs: 10_000,
    runParent: (_ctx, input) => ({ output: null, childrenTasks: [{ task: steps, input }] }),
    finalizeTask: pipelineOutput,
  });

  // A human approval, say: completed or failed from the dashboard (or `executions.wakeup`).
  const approval = executor.sleepingTask<unknown>({ id: 'approval', timeoutMs: 24 * 60 * 60_000 });

  return {
    echo,
    sleep: sleepTask,
    fail,
    flaky,
    fanOut,
    bestEffort,
    tenantSleep,
    pipeline,
    approval,
  };
}
