/** Diagnostic tasks, always registered: small, predictable behaviours to exercise the engine. */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DurableExecutionError } from '@/server/engine';
import { defineTask } from './defineTask';

export const echo = defineTask({
  id: 'echo',
  description: 'Returns its input.',
  input: z.unknown(),
  define: (b, { id }) => b.task({ id, timeoutMs: 10_000, run: (_ctx, input) => input }),
});

export const sleepTask = defineTask({
  id: 'sleep',
  description: 'Waits the given time; honours cancellation.',
  input: z.object({
    ms: z.number().int().min(0).max(600_000).describe('How long to sleep, in milliseconds'),
  }),
  define: (b, { id }) =>
    b.task({
      id,
      timeoutMs: 15 * 60_000,
      run: async (ctx, { ms }) => {
        await sleep(ms, undefined, { signal: ctx.cancelSignal.abortSignal });
        return { sleptMs: ms };
      },
    }),
});

export const fail = defineTask({
  id: 'fail',
  description: 'Throws the given message (retryable when asked).',
  input: z.object({ message: z.string().min(1).max(10_000), retryable: z.boolean().optional() }),
  define: (b, { id }) =>
    b.task({
      id,
      timeoutMs: 10_000,
      retryOptions: { maxAttempts: 2, baseDelayMs: 100, delayMultiplier: 2 },
      run: (_ctx, { message, retryable }): never => {
        throw new DurableExecutionError(message, retryable ?? false);
      },
    }),
});

export const flaky = defineTask({
  id: 'flaky',
  description: 'Fails the given number of attempts, then succeeds (retries allowed).',
  input: z.object({
    failures: z.number().int().min(0).max(10).describe('Attempts that fail before one succeeds'),
  }),
  define: (b, { id }) =>
    b.task({
      id,
      timeoutMs: 10_000,
      retryOptions: { maxAttempts: 10, baseDelayMs: 50, delayMultiplier: 2, maxDelayMs: 1_000 },
      run: (ctx, { failures }) => {
        if (ctx.attempt < failures) {
          throw new DurableExecutionError(`Planned failure ${ctx.attempt + 1} of ${failures}`);
        }
        return { succeededOnAttempt: ctx.attempt };
      },
    }),
});

export const fanOut = defineTask({
  id: 'fanOut',
  description: 'A parent with `count` sleep children and a finalize step summing them.',
  input: z.object({
    count: z.number().int().min(1).max(1000).describe('Number of sleep children'),
    sleepMs: z.number().int().min(0).max(60_000).optional(),
  }),
  define: (b, { id, executor, use }) => {
    const sleepChild = use(sleepTask);
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
    return b.parentTask({
      id,
      timeoutMs: 10_000,
      runParent: (_ctx, { count, sleepMs }) => ({
        output: { count },
        childrenTasks: Array.from({ length: count }, () => ({
          task: sleepChild,
          input: { ms: sleepMs ?? 0 },
        })),
      }),
      finalizeTask: fanOutSum,
    });
  },
});

export const bestEffort = defineTask({
  id: 'bestEffort',
  description:
    'A parent whose children may fail: it continues, and its finalize counts every outcome.',
  input: z.object({
    count: z.number().int().min(1).max(100).describe('Number of children'),
    failIndexes: z.array(z.number().int().min(0)).max(100).describe('Children that fail'),
  }),
  define: (b, { id, executor }) => {
    const bestEffortChild = executor.task({
      id: 'bestEffortChild',
      timeoutMs: 10_000,
      run: (_ctx, { index, fail }: { index: number; fail: boolean }) => {
        if (fail) throw new DurableExecutionError(`Child ${index} failed as planned`, false);
        return { index };
      },
    });
    return b.parentTask({
      id,
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
  },
});

export const tenantSleep = defineTask({
  id: 'tenantSleep',
  description:
    'Sleeps; one run per tenant at a time (a concurrency limit per key), 20 starts a minute.',
  input: z.object({
    tenant: z.string().min(1).max(255).describe('Runs of one tenant run one at a time'),
    ms: z.number().int().min(0).max(600_000).describe('How long to sleep, in milliseconds'),
  }),
  define: (b, { id }) =>
    b.task({
      id,
      timeoutMs: 15 * 60_000,
      concurrency: { limit: 1, key: ({ tenant }) => tenant },
      rateLimit: { limit: 20, periodMs: 60_000 },
      run: async (ctx, { ms }) => {
        await sleep(ms, undefined, { signal: ctx.cancelSignal.abortSignal });
        return { sleptMs: ms };
      },
    }),
});

const pipelineInput = z.object({ text: z.string().max(100_000) });

export const pipeline = defineTask({
  id: 'pipeline',
  description: 'Sequential tasks: normalise, tokenise, count words.',
  input: pipelineInput,
  define: (b, { id, executor }) => {
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
    return b.parentTask({
      id,
      timeoutMs: 10_000,
      runParent: (_ctx, input) => ({ output: null, childrenTasks: [{ task: steps, input }] }),
      finalizeTask: pipelineOutput,
    });
  },
});

export const approval = defineTask({
  id: 'approval',
  description:
    'A sleeping task: runs no code, waits up to a day for its wakeup (Complete or Fail on its page).',
  input: z.string().min(1).max(255).describe('The unique id its wakeup names'),
  // A human approval, say: completed or failed from the dashboard (or `executions.wakeup`).
  define: (_builders, { id, executor }) =>
    executor.sleepingTask<unknown>({ id, timeoutMs: 24 * 60 * 60_000 }),
});
