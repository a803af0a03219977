/** Sequential tasks: each output feeds the next input; ids derived from the members. */
import { describe, expect, it } from 'vitest';
import { DurableExecutionError } from '@/server/engine';
import type { DurableExecutor } from '@/server/engine';
import {
  expectCompleted,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

/** The same three-step pipeline, as any process would define it. */
function definePipeline(executor: DurableExecutor, calls: string[] = []) {
  const parse = executor.task({
    id: 'seq_parse',
    timeoutMs: 1000,
    run: (_ctx, text: string) => {
      calls.push('parse');
      return Number.parseInt(text, 10);
    },
  });
  const double = executor.task({
    id: 'seq_double',
    timeoutMs: 1000,
    run: (_ctx, n: number) => {
      calls.push('double');
      return { doubled: n * 2 };
    },
  });
  const describeIt = executor.task({
    id: 'seq_describe',
    timeoutMs: 1000,
    run: (_ctx, value: { doubled: number }) => {
      calls.push('describe');
      return `doubled: ${value.doubled}`;
    },
  });
  return { parse, double, describeIt };
}

export function describeSequential(factory: EngineStoreFactory): void {
  describe('sequential tasks', () => {
    const engine = useEngineHarness(factory);

    it('feeds each output to the next task and outputs the last one', async () => {
      const executor = engine.createExecutor();
      const calls: string[] = [];
      const { parse, double, describeIt } = definePipeline(executor, calls);
      const pipeline = executor.sequentialTasks(parse, double, describeIt);
      executor.start();

      const execution = expectCompleted(
        await waitFinished(await executor.enqueueTask(pipeline, '21')),
      );
      expect(execution.output).toBe('doubled: 42');
      expect(calls).toEqual(['parse', 'double', 'describe']);
    });

    it('throws "No tasks provided" for an empty list', () => {
      const executor = engine.createExecutor();
      expect(() => executor.sequentialTasks()).toThrow('No tasks provided');
    });

    it('returns a single task as it is', () => {
      const executor = engine.createExecutor();
      const { parse } = definePipeline(executor);
      expect(executor.sequentialTasks(parse)).toBe(parse);
    });

    it('has the same valid id in every executor, so another one can run it', async () => {
      const enqueuer = engine.createExecutor();
      const runner = engine.createExecutor();
      const a = definePipeline(enqueuer);
      const b = definePipeline(runner);
      const enqueued = enqueuer.sequentialTasks(a.parse, a.double, a.describeIt);
      const runnable = runner.sequentialTasks(b.parse, b.double, b.describeIt);
      expect(enqueued.id).toBe(runnable.id);
      expect(enqueued.id).toMatch(/^\w{1,255}$/);
      expect(enqueuer.sequentialTasks(a.parse, a.double).id).not.toBe(enqueued.id);

      runner.start();
      const handle = await enqueuer.enqueueTask(enqueued, '5');
      expect(expectCompleted(await waitFinished(handle)).output).toBe('doubled: 10');
    });

    it('keeps a valid id when the member ids are long', () => {
      const executor = engine.createExecutor();
      const members = ['a', 'b', 'c'].map((letter) =>
        executor.task({ id: letter.repeat(200), timeoutMs: 1000, run: (_c, n: number) => n }),
      );
      const [first, second, third] = members;
      if (!first || !second || !third) throw new Error('three members expected');
      expect(executor.sequentialTasks(first, second, third).id).toMatch(/^\w{1,255}$/);
    });

    it('stops at a failing member and does not finish as completed', async () => {
      const executor = engine.createExecutor();
      const calls: string[] = [];
      const first = executor.task({
        id: 'seq_first',
        timeoutMs: 1000,
        run: (_ctx, n: number) => {
          calls.push('first');
          return n;
        },
      });
      const broken = executor.task({
        id: 'seq_broken',
        timeoutMs: 1000,
        run: (_ctx, _n: number): number => {
          calls.push('broken');
          throw new DurableExecutionError('broken link', false);
        },
      });
      const last = executor.task({
        id: 'seq_last',
        timeoutMs: 1000,
        run: (_ctx, n: number) => {
          calls.push('last');
          return n;
        },
      });
      const chain = executor.sequentialTasks(first, broken, last);
      executor.start();

      const execution = await waitFinished(await executor.enqueueTask(chain, 1));
      expect(execution.status).not.toBe('completed');
      expect(calls).toEqual(['first', 'broken']);
    });
  });
}
