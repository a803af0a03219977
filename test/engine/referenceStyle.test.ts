/**
 * Task code written the way durable-execution 0.11 documents it, run on Durably unchanged:
 * inline finalize tasks (nested ones too), validateInput / inputSchema, sequentialTasks, the
 * superjson serializer, cancel signals and handles. Only the imports and start() differ.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createCancelSignal,
  createInMemoryStorage,
  createSuperjsonSerializer,
  createTimeoutCancelSignal,
  DurableExecutionCancelledError,
  DurableExecutor,
  type DurableTask,
} from '@/server/engine';
import { silentLogger } from './conformance/harness';
import { aborted, createDeferred, rejectionOf } from './helpers';

let executor: DurableExecutor;

function newExecutor(): DurableExecutor {
  executor = new DurableExecutor(createInMemoryStorage(), {
    serializer: createSuperjsonSerializer(),
    logger: silentLogger,
    backgroundProcessIntraBatchSleepMs: 25,
  });
  return executor;
}

afterEach(async () => {
  await executor.shutdown();
});

describe('code written for durable-execution 0.11', () => {
  it('runs a parent with validated children and an inline finalize that combines them', async () => {
    const executor = newExecutor();
    const checkStock = executor
      .validateInput((input: { sku: string; quantity: number }) => {
        if (input.quantity <= 0) throw new Error('Quantity must be positive');
        return input;
      })
      .task({
        id: 'checkStock',
        timeoutMs: 1000,
        run: (ctx, input) => ({ sku: input.sku, inStock: input.quantity < 10 }),
      });
    const priceLine = executor
      .inputSchema(z.object({ sku: z.string(), quantity: z.number().int() }))
      .task({
        id: 'priceLine',
        timeoutMs: 1000,
        run: async (ctx, input) => {
          await Promise.resolve();
          return { sku: input.sku, cents: input.quantity * 250 };
        },
      });
    const placeOrder = executor
      .inputSchema(z.object({ orderId: z.string(), lines: z.array(z.string()) }))
      .parentTask({
        id: 'placeOrder',
        timeoutMs: 5000,
        runParent: (ctx, input) => ({
          output: { orderId: input.orderId, placedAt: new Date(0) },
          childrenTasks: input.lines.flatMap((sku) => [
            { task: checkStock, input: { sku, quantity: 2 } },
            { task: priceLine, input: { sku, quantity: 2 } },
          ]),
        }),
        finalizeTask: {
          id: 'placeOrderFinalize',
          timeoutMs: 1000,
          run: (ctx, { input, output, childrenTasksOutputs }) => {
            const prices = childrenTasksOutputs
              .filter((child) => child.taskId === 'priceLine')
              .map((child) => child.output as { cents: number });
            return {
              orderId: output.orderId,
              placedAt: output.placedAt,
              lineCount: input.lines.length,
              totalCents: prices.reduce((sum, price) => sum + price.cents, 0),
            };
          },
        },
      });

    async function app() {
      const handle = await executor.enqueueTask(placeOrder, { orderId: 'o1', lines: ['a', 'b'] });
      expect(handle.getTaskId()).toBe('placeOrder');
      expect(handle.getTaskExecutionId()).toMatch(/^te_/);
      const execution = await handle.getTaskExecution();
      expect(['ready', 'running', 'waiting_for_children_tasks']).toContain(execution.status);
      return handle.waitAndGetTaskFinishedExecution();
    }

    // The reference starts with `await Promise.all([executor.start(), app()])`; here start()
    // returns at once (it is synchronous and idempotent), so it comes first.
    executor.start();
    const finished = await app();
    expect(finished.status).toBe('completed');
    expect(finished.output).toEqual({
      orderId: 'o1',
      placedAt: new Date(0),
      lineCount: 2,
      totalCents: 1000,
    });
  });

  it('chains parents through finalize tasks that are parents with finalize tasks', async () => {
    const executor = newExecutor();
    const shout = executor.task({
      id: 'shout',
      timeoutMs: 1000,
      run: (ctx, input: { word: string }) => input.word.toUpperCase(),
    });
    const second = executor.parentTask({
      id: 'second',
      timeoutMs: 1000,
      runParent: (ctx, input: { word: string }) => ({ output: `second saw ${input.word}` }),
      finalizeTask: {
        id: 'secondFinalize',
        timeoutMs: 1000,
        runParent: (ctx, { input, output }) => ({
          output,
          childrenTasks: [{ task: shout, input: { word: input.word } }],
        }),
        finalizeTask: {
          id: 'secondFinalizeNested',
          timeoutMs: 1000,
          run: (ctx, { output, childrenTasksOutputs }) => ({
            second: output,
            shouted: childrenTasksOutputs[0]!.output as string,
          }),
        },
      },
    });
    const first = executor.parentTask({
      id: 'first',
      timeoutMs: 1000,
      runParent: (ctx, input: { word: string }) => ({ output: `first saw ${input.word}` }),
      finalizeTask: {
        id: 'firstFinalize',
        timeoutMs: 1000,
        runParent: (ctx, { input, output }) => ({
          output,
          childrenTasks: [{ task: second, input: { word: input.word } }],
        }),
        finalizeTask: {
          id: 'firstFinalizeNested',
          timeoutMs: 1000,
          run: (ctx, { output, childrenTasksOutputs }) => ({
            first: output,
            ...(childrenTasksOutputs[0]!.output as { second: string; shouted: string }),
          }),
        },
      },
    });
    executor.start();

    const handle = await executor.enqueueTask(first, { word: 'hey' });
    const finished = await handle.waitAndGetTaskFinishedExecution();
    expect(finished.status === 'completed' && finished.output).toEqual({
      first: 'first saw hey',
      second: 'second saw hey',
      shouted: 'HEY',
    });
  });

  it('runs sequentialTasks and a recursive parent with an inline finalize', async () => {
    const executor = newExecutor();
    const split = executor.task({
      id: 'split',
      timeoutMs: 1000,
      run: (ctx, input: { text: string }) => ({ words: input.text.split(' ') }),
    });
    const count = executor.task({
      id: 'count',
      timeoutMs: 1000,
      run: (ctx, input: { words: string[] }) => ({ words: input.words, count: input.words.length }),
    });
    const report = executor.task({
      id: 'report',
      timeoutMs: 1000,
      run: (ctx, input: { words: string[]; count: number }) =>
        `${input.count} words, longest ${Math.max(...input.words.map((w) => w.length))}`,
    });
    const pipeline = executor.sequentialTasks(split, count, report);

    const countdown: DurableTask<{ from: number }, { steps: number }> = executor
      .inputSchema(z.object({ from: z.number().int().min(0) }))
      .parentTask({
        id: 'countdown',
        timeoutMs: 1000,
        runParent: (ctx, input) => ({
          output: undefined,
          childrenTasks:
            input.from === 0 ? [] : [{ task: countdown, input: { from: input.from - 1 } }],
        }),
        finalizeTask: {
          id: 'countdownFinalize',
          timeoutMs: 1000,
          run: (ctx, { childrenTasksOutputs }) => ({
            steps:
              1 +
              childrenTasksOutputs.reduce(
                (sum, child) => sum + (child.output as { steps: number }).steps,
                0,
              ),
          }),
        },
      });
    executor.start();

    const pipelineHandle = await executor.enqueueTask(pipeline, { text: 'to be or not' });
    const countdownHandle = await executor.enqueueTask(countdown, { from: 4 });
    const [words, steps] = await Promise.all([
      pipelineHandle.waitAndGetTaskFinishedExecution(),
      countdownHandle.waitAndGetTaskFinishedExecution(),
    ]);
    expect(words.status === 'completed' && words.output).toBe('4 words, longest 3');
    expect(steps.status === 'completed' && steps.output).toEqual({ steps: 5 });
  });

  it('retries with ctx.attempt and prevError, and cancels through handles and signals', async () => {
    const executor = newExecutor();
    const flaky = executor.task({
      id: 'flaky',
      retryOptions: { maxAttempts: 3, baseDelayMs: 5, delayMultiplier: 2, maxDelayMs: 50 },
      timeoutMs: 1000,
      run: (ctx) => {
        if (ctx.attempt < 2) throw new Error(`attempt ${ctx.attempt} failed`);
        return { attempt: ctx.attempt, prevError: ctx.prevError?.message };
      },
    });
    const started = createDeferred();
    let cancelledByListener = false;
    const slow = executor.task({
      id: 'slow',
      timeoutMs: 60_000,
      run: async (ctx) => {
        const onCancel = () => {
          cancelledByListener = true;
        };
        ctx.cancelSignal.onCancelled(onCancel);
        started.resolve();
        try {
          await aborted(ctx.cancelSignal.abortSignal);
          return 'stopped';
        } finally {
          ctx.cancelSignal.clearOnCancelled(onCancel);
        }
      },
    });
    executor.start();

    const flakyHandle = await executor.enqueueTask(flaky, undefined);
    const flakyFinished = await flakyHandle.waitAndGetTaskFinishedExecution();
    expect(flakyFinished.status === 'completed' && flakyFinished.output).toEqual({
      attempt: 2,
      prevError: 'attempt 1 failed',
    });

    const slowHandle = await executor.enqueueTask(slow, undefined);
    await started.promise;
    expect(executor.getRunningTaskExecutionIds().has(slowHandle.getTaskExecutionId())).toBe(true);

    // A wait given up through its own signal leaves the execution alone.
    const [waitSignal, stopWaiting] = createCancelSignal();
    const waiting = rejectionOf(slowHandle.waitAndGetTaskFinishedExecution({ signal: waitSignal }));
    stopWaiting();
    expect(await waiting).toBeInstanceOf(DurableExecutionCancelledError);
    const timedWait = rejectionOf(
      slowHandle.waitAndGetTaskFinishedExecution({ signal: createTimeoutCancelSignal(20) }),
    );
    expect(await timedWait).toBeInstanceOf(DurableExecutionCancelledError);
    expect((await slowHandle.getTaskExecution()).status).toBe('running');

    await slowHandle.cancel();
    const slowFinished = await slowHandle.waitAndGetTaskFinishedExecution();
    expect(slowFinished.status).toBe('cancelled');
    expect(cancelledByListener).toBe(true);
  });
});
