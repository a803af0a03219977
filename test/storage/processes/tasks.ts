/**
 * The workload of the multi-process tests, defined identically in every worker process and
 * in the test process (which enqueues). Every run appends its start and end to a file of its
 * own process: the record of what ran lives outside the engine and its database.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DurableExecutor, FinalizeTaskInput } from '@/server/engine';

export interface RunRecord {
  executionId: string;
  taskId: string;
  attempt: number;
  worker: string;
  event: 'start' | 'end' | 'cancelled';
  at: number;
  /** The concurrency key of a limited run. */
  key?: string;
}

export type Recorder = (record: Omit<RunRecord, 'worker' | 'at'>) => void;

export const CHILDREN_PER_PARENT = 20;

/** Appends one JSON line per event to `<dir>/<worker>.jsonl`. */
export function fileRecorder(dir: string, worker: string): Recorder {
  const file = join(dir, `${worker}.jsonl`);
  return (record) => {
    appendFileSync(file, `${JSON.stringify({ ...record, worker, at: Date.now() })}\n`);
  };
}

export function readRecords(dir: string): RunRecord[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as RunRecord),
    );
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export function defineWorkload(executor: DurableExecutor, record: Recorder) {
  const leaf = executor.task({
    id: 'mp_leaf',
    timeoutMs: 20_000,
    run: async (ctx, input: { n: number; sleepMs: number }) => {
      record({
        executionId: ctx.executionId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        event: 'start',
      });
      if (input.sleepMs > 0) await sleep(input.sleepMs);
      record({
        executionId: ctx.executionId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        event: 'end',
      });
      return input.n;
    },
  });
  const child = executor.task({
    id: 'mp_child',
    timeoutMs: 20_000,
    run: (ctx, input: { index: number }) => {
      record({
        executionId: ctx.executionId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        event: 'start',
      });
      return input.index;
    },
  });
  const finalize = executor.task({
    id: 'mp_finalize',
    timeoutMs: 20_000,
    run: (ctx, input: FinalizeTaskInput<{ p: number }, number>) => {
      record({
        executionId: ctx.executionId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        event: 'start',
      });
      return input.childrenTasksOutputs.reduce((sum, entry) => sum + (entry.output as number), 0);
    },
  });
  const parent = executor.parentTask({
    id: 'mp_parent',
    timeoutMs: 20_000,
    runParent: (ctx, input: { p: number }) => {
      record({
        executionId: ctx.executionId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        event: 'start',
      });
      return {
        output: input.p,
        childrenTasks: Array.from({ length: CHILDREN_PER_PARENT }, (_, index) => ({
          task: child,
          input: { index },
        })),
      };
    },
    finalizeTask: finalize,
  });
  /** Runs until cancelled, recording when its cancel signal fired. */
  const hang = executor.task({
    id: 'mp_hang',
    timeoutMs: 60_000,
    run: async (ctx) => {
      record({
        executionId: ctx.executionId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        event: 'start',
      });
      await new Promise<void>((resolve) => ctx.cancelSignal.onCancelled(() => resolve()));
      record({
        executionId: ctx.executionId,
        taskId: ctx.taskId,
        attempt: ctx.attempt,
        event: 'cancelled',
      });
      return 'cancelled';
    },
  });
  /** At most 3 at once per key, across every process (recorded with its key). */
  const limited = executor.task({
    id: 'mp_limited',
    timeoutMs: 20_000,
    concurrency: { limit: 3, key: (input: { key: string; sleepMs: number }) => input.key },
    run: async (ctx, input: { key: string; sleepMs: number }) => {
      const base = { executionId: ctx.executionId, taskId: ctx.taskId, attempt: ctx.attempt };
      record({ ...base, event: 'start', key: input.key });
      await sleep(input.sleepMs, ctx.cancelSignal.abortSignal);
      record({ ...base, event: 'end', key: input.key });
      return input.key;
    },
  });
  return { leaf, parent, hang, limited };
}
