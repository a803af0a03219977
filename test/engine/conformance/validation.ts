/** Input validation: validateInput and Standard Schema (zod) builders, at enqueue and for children. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurableExecutionError } from '@/server/engine';
import { rejectionOf } from '../helpers';
import {
  expectCompleted,
  expectFinishedWith,
  expectNothingStored,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

async function expectInvalidInput(promise: Promise<unknown>, taskId: string): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(DurableExecutionError);
  expect((error as DurableExecutionError).message).toMatch(
    new RegExp(`^Invalid input to task ${taskId}: .+`),
  );
  expect((error as DurableExecutionError).isRetryable).toBe(false);
}

export function describeValidation(factory: EngineStoreFactory): void {
  describe('input validation', () => {
    const engine = useEngineHarness(factory);

    it('rejects invalid input at enqueue with validateInput and stores nothing', async () => {
      const executor = engine.createExecutor();
      const ran: unknown[] = [];
      const positive = executor
        .validateInput((input: number) => {
          if (input <= 0) throw new Error('must be positive');
          return input;
        })
        .task({ id: 'positive_only', timeoutMs: 1000, run: (_ctx, n) => ran.push(n) });

      await expectInvalidInput(executor.enqueueTask(positive, -1), 'positive_only');
      const error = await rejectionOf(executor.enqueueTask(positive, 0));
      expect((error as Error).message).toContain('must be positive');
      await expectNothingStored(engine.storage, ['positive_only']);
      expect(ran).toEqual([]);
    });

    it('hands the value returned by an async validateInput to run', async () => {
      const executor = engine.createExecutor();
      const parsed = executor
        .validateInput(async (input: string) => {
          await Promise.resolve();
          const n = Number.parseInt(input, 10);
          if (Number.isNaN(n)) throw new Error('not a number');
          return { n };
        })
        .task({ id: 'parse_int', timeoutMs: 1000, run: (_ctx, input) => input.n + 1 });
      executor.start();

      await expectInvalidInput(executor.enqueueTask(parsed, 'abc'), 'parse_int');
      const handle = await executor.enqueueTask(parsed, '41');
      const execution = expectCompleted(await waitFinished(handle));
      expect(execution.output).toBe(42);
      expect(execution.runInput).toEqual({ n: 41 });
    });

    it('rejects input that fails a zod schema, naming the issue, and stores nothing', async () => {
      const executor = engine.createExecutor();
      const schema = z.object({ email: z.string().email(), age: z.number().int().min(0) });
      const signUp = executor
        .inputSchema(schema)
        .task({ id: 'sign_up', timeoutMs: 1000, run: (_ctx, input) => input.email });

      await expectInvalidInput(
        executor.enqueueTask(signUp, { email: 'not-an-email', age: 3 }),
        'sign_up',
      );
      const error = await rejectionOf(executor.enqueueTask(signUp, { email: 'a@b.co', age: -1 }));
      expect((error as Error).message).toContain('age');
      await expectNothingStored(engine.storage, ['sign_up']);
    });

    it('runs with the value transformed by a zod schema', async () => {
      const executor = engine.createExecutor();
      const schema = z
        .object({ words: z.string() })
        .transform(({ words }) => words.split(' ').filter(Boolean));
      const received: string[][] = [];
      const count = executor.inputSchema(schema).task({
        id: 'count_words',
        timeoutMs: 1000,
        run: (_ctx, words) => {
          received.push(words);
          return words.length;
        },
      });
      executor.start();

      const handle = await executor.enqueueTask(count, { words: 'a quick  test' });
      expect(expectCompleted(await waitFinished(handle)).output).toBe(3);
      expect(received).toEqual([['a', 'quick', 'test']]);
    });

    it('validates parent task input with the builder too', async () => {
      const executor = engine.createExecutor();
      const parent = executor.inputSchema(z.object({ n: z.number() })).parentTask({
        id: 'schema_parent',
        timeoutMs: 1000,
        runParent: (_ctx, input) => ({ output: input.n * 2 }),
      });
      executor.start();

      await expectInvalidInput(
        executor.enqueueTask(parent, { n: 'x' } as unknown as { n: number }),
        'schema_parent',
      );
      const handle = await executor.enqueueTask(parent, { n: 4 });
      expect(expectCompleted(await waitFinished(handle)).output.output).toBe(8);
    });

    it('fails the parent, without retrying, when a child gets invalid input', async () => {
      const executor = engine.createExecutor();
      const childRuns: number[] = [];
      const child = executor
        .inputSchema(z.number().min(10))
        .task({ id: 'strict_child', timeoutMs: 1000, run: (_ctx, n) => childRuns.push(n) });
      let parentRuns = 0;
      const parent = executor.parentTask({
        id: 'lenient_parent',
        timeoutMs: 1000,
        retryOptions: { maxAttempts: 3 },
        runParent: () => {
          parentRuns += 1;
          return {
            output: null,
            childrenTasks: [
              { task: child, input: 20 },
              { task: child, input: 1 },
            ],
          };
        },
      });
      executor.start();

      const execution = expectFinishedWith(
        await waitFinished(await executor.enqueueTask(parent, undefined)),
        'failed',
      );
      expect(execution.error.message).toMatch(/^Invalid input to task strict_child: /);
      expect(execution.error.isRetryable).toBe(false);
      expect(parentRuns).toBe(1);
      expect(execution.childrenTasks ?? []).toEqual([]);
      expect(childRuns).toEqual([]);
    });
  });
}
