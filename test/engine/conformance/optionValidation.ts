/** Option rules for task definitions and enqueue-time overrides (SPEC §1 "Option rules"). */
import { describe, expect, it } from 'vitest';
import { DurableOptionsError } from '@/server/engine';
import type { TaskEnqueueOptions, TaskRetryOptions } from '@/server/engine';
import { rejectionOf } from '../helpers';
import {
  expectNothingStored,
  useEngineHarness,
  waitFinished,
  type EngineStoreFactory,
} from './harness';

const BAD_IDS = ['', 'a'.repeat(256), 'has space', 'dash-id', 'dot.id', 'émoji'];
const BAD_TIMEOUTS = [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY];
const BAD_RETRY_OPTIONS: TaskRetryOptions[] = [
  { maxAttempts: -1 },
  { maxAttempts: 1.5 },
  { maxAttempts: Number.NaN },
  { maxAttempts: 1, baseDelayMs: -1 },
  { maxAttempts: 1, delayMultiplier: 0.05 },
  { maxAttempts: 1, maxDelayMs: -1 },
];

/** Expects `thrown` to be a non-retryable option error with exactly `message`. */
function expectOptionError(thrown: unknown, message: string): void {
  expect(thrown).toBeInstanceOf(DurableOptionsError);
  expect((thrown as DurableOptionsError).message).toBe(message);
  expect((thrown as DurableOptionsError).isRetryable).toBe(false);
}

function thrownBy(define: () => unknown): unknown {
  try {
    define();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the definition to throw');
}

/** Invalid definition-time options of a task named `id`, and the error each one gets. */
function badDefinitions(id: string): [Record<string, unknown>, string][] {
  return [
    [{ timeoutMs: -1 }, `Invalid timeoutMs -1 of task ${id}: must be an integer >= 1`],
    [{ timeoutMs: 1.5 }, `Invalid timeoutMs 1.5 of task ${id}: must be an integer >= 1`],
    [{ timeoutMs: '9' }, `Invalid timeoutMs "9" of task ${id}: must be an integer >= 1`],
    [
      { retryOptions: { maxAttempts: -1 } },
      `Invalid retryOptions.maxAttempts -1 of task ${id}: must be an integer >= 0`,
    ],
    [
      { retryOptions: { maxAttempts: 1, baseDelayMs: -1 } },
      `Invalid retryOptions.baseDelayMs -1 of task ${id}: must be >= 0`,
    ],
    [
      { retryOptions: { maxAttempts: 1, delayMultiplier: 0.05 } },
      `Invalid retryOptions.delayMultiplier 0.05 of task ${id}: must be >= 0.1`,
    ],
    [
      { retryOptions: { maxAttempts: 1, maxDelayMs: -1 } },
      `Invalid retryOptions.maxDelayMs -1 of task ${id}: must be >= 0`,
    ],
    [{ retryOptions: 3 }, `Invalid retryOptions 3 of task ${id}: must be an object`],
    [{ sleepMsBeforeRun: 1.5 }, `Invalid sleepMsBeforeRun 1.5 of task ${id}: must be an integer`],
  ];
}

export function describeOptionValidation(factory: EngineStoreFactory): void {
  describe('option validation', () => {
    const engine = useEngineHarness(factory);

    it('accepts word-character ids up to 255 characters', () => {
      const executor = engine.createExecutor();
      expect(executor.task({ id: 'a'.repeat(255), timeoutMs: 1, run: () => 1 }).id).toHaveLength(
        255,
      );
      expect(executor.task({ id: 'Mixed_Case_09', timeoutMs: 1, run: () => 1 }).id).toBe(
        'Mixed_Case_09',
      );
    });

    it.each(BAD_IDS)('refuses the task id %j', (id) => {
      const executor = engine.createExecutor();
      expect(() => executor.task({ id, timeoutMs: 1000, run: () => 1 })).toThrow();
      expect(() =>
        executor.parentTask({ id, timeoutMs: 1000, runParent: () => ({ output: 1 }) }),
      ).toThrow();
    });

    it.each(BAD_TIMEOUTS)('refuses timeoutMs %s at definition', (timeoutMs) => {
      const executor = engine.createExecutor();
      expect(() => executor.task({ id: 'bad_timeout', timeoutMs, run: () => 1 })).toThrow();
      expect(() =>
        executor.parentTask({ id: 'bad_timeout_p', timeoutMs, runParent: () => ({ output: 1 }) }),
      ).toThrow();
    });

    it.each(BAD_RETRY_OPTIONS)('refuses retryOptions %j at definition', (retryOptions) => {
      const executor = engine.createExecutor();
      expect(() =>
        executor.task({ id: 'bad_retry', timeoutMs: 1000, retryOptions, run: () => 1 }),
      ).toThrow();
    });

    it('refuses a fractional sleepMsBeforeRun and treats a negative one as 0', async () => {
      const executor = engine.createExecutor();
      expect(() =>
        executor.task({ id: 'bad_sleep', timeoutMs: 1000, sleepMsBeforeRun: 1.5, run: () => 1 }),
      ).toThrow();
      const eager = executor.task({
        id: 'negative_sleep',
        timeoutMs: 1000,
        sleepMsBeforeRun: -100,
        run: () => 1,
      });
      const execution = await (await executor.enqueueTask(eager, undefined)).getTaskExecution();
      expect(execution.sleepMsBeforeRun).toBe(0);
    });

    it('accepts the boundary values of every numeric option', () => {
      const executor = engine.createExecutor();
      expect(() =>
        executor.task({
          id: 'boundaries',
          timeoutMs: 1,
          sleepMsBeforeRun: 0,
          retryOptions: { maxAttempts: 0, baseDelayMs: 0, delayMultiplier: 0.1, maxDelayMs: 0 },
          run: () => 1,
        }),
      ).not.toThrow();
    });

    it('validates enqueue-time overrides and stores nothing when they are invalid', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({ id: 'override_target', timeoutMs: 1000, run: () => 1 });

      for (const timeoutMs of BAD_TIMEOUTS) {
        await expect(executor.enqueueTask(task, undefined, { timeoutMs })).rejects.toThrow();
      }
      for (const retryOptions of BAD_RETRY_OPTIONS) {
        await expect(executor.enqueueTask(task, undefined, { retryOptions })).rejects.toThrow();
      }
      await expect(
        executor.enqueueTask(task, undefined, { sleepMsBeforeRun: 2.5 }),
      ).rejects.toThrow();
      await expectNothingStored(engine.storage, ['override_target']);
    });

    it('stores valid enqueue-time overrides on the execution', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({ id: 'override_ok', timeoutMs: 1000, run: () => 1 });
      const handle = await executor.enqueueTask(task, undefined, {
        timeoutMs: 1234,
        sleepMsBeforeRun: 5000,
        retryOptions: { maxAttempts: 4, baseDelayMs: 7, delayMultiplier: 3, maxDelayMs: 99 },
      });
      const execution = await handle.getTaskExecution();
      expect(execution.timeoutMs).toBe(1234);
      expect(execution.sleepMsBeforeRun).toBe(5000);
      expect(execution.retryOptions).toMatchObject({
        maxAttempts: 4,
        baseDelayMs: 7,
        delayMultiplier: 3,
        maxDelayMs: 99,
      });
    });

    it('names the task in every option error of a definition', () => {
      const executor = engine.createExecutor();
      for (const [options, message] of badDefinitions('named_task')) {
        const thrown = thrownBy(() =>
          executor.task({ id: 'named_task', timeoutMs: 1000, run: () => 1, ...options }),
        );
        expectOptionError(thrown, message);
      }
      for (const [options, message] of badDefinitions('named_parent')) {
        const thrown = thrownBy(() =>
          executor.parentTask({
            id: 'named_parent',
            timeoutMs: 1000,
            runParent: () => ({ output: 1 }),
            ...options,
          }),
        );
        expectOptionError(thrown, message);
      }
      expectOptionError(
        thrownBy(() =>
          executor.task({ id: 'no_run', timeoutMs: 1, run: 'x' as unknown as () => number }),
        ),
        'Invalid run of task no_run: must be a function',
      );
      expectOptionError(
        thrownBy(() =>
          executor.parentTask({
            id: 'no_run_parent',
            timeoutMs: 1,
            runParent: undefined as unknown as () => { output: number },
          }),
        ),
        'Invalid runParent of task no_run_parent: must be a function',
      );
      expectOptionError(
        thrownBy(() => executor.task({ id: 'has space', timeoutMs: 1, run: () => 1 })),
        'Invalid task id "has space": must contain only letters, digits and underscores',
      );
      expect(executor.listTasks()).toEqual([]);
    });

    it('names the task in every option error of an enqueue', async () => {
      const executor = engine.createExecutor();
      const task = executor.task({ id: 'enqueue_named', timeoutMs: 1000, run: () => 1 });
      const cases: [unknown, string][] = [
        [{ timeoutMs: 0 }, 'Invalid timeoutMs 0 of task enqueue_named: must be an integer >= 1'],
        [
          { retryOptions: { maxAttempts: 0.5 } },
          'Invalid retryOptions.maxAttempts 0.5 of task enqueue_named: must be an integer >= 0',
        ],
        [
          { sleepMsBeforeRun: 2.5 },
          'Invalid sleepMsBeforeRun 2.5 of task enqueue_named: must be an integer',
        ],
        ['soon', 'Invalid enqueue options "soon" of task enqueue_named: must be an object'],
      ];
      for (const [options, message] of cases) {
        const thrown = await rejectionOf(
          executor.enqueueTask(task, undefined, options as TaskEnqueueOptions),
        );
        expectOptionError(thrown, message);
      }
      await expectNothingStored(engine.storage, ['enqueue_named']);
    });

    it('validates children options when a parent creates them', async () => {
      const executor = engine.createExecutor();
      const child = executor.task({ id: 'child_with_options', timeoutMs: 1000, run: () => 1 });
      const parent = executor.parentTask({
        id: 'parent_bad_child_options',
        timeoutMs: 1000,
        runParent: () => ({
          output: null,
          childrenTasks: [{ task: child, input: undefined, options: { timeoutMs: -1 } }],
        }),
      });
      executor.start();
      const handle = await executor.enqueueTask(parent, undefined);
      const execution = await waitFinished(handle);
      expect(execution.status).toBe('failed');
      expect(execution.error).toMatchObject({
        message: 'Invalid timeoutMs -1 of task child_with_options: must be an integer >= 1',
        isRetryable: false,
      });
    });
  });
}
