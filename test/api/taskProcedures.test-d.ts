/** Types of the typed task procedures: each task's own input and output, narrowed by status. */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { describe, expectTypeOf, it } from 'vitest';
import type { AppRouter, createCaller } from '@/server/api';
import type { ActiveTaskExecutionStatus, TaskProgress } from '@/server/engine';
import type { FileReport } from '@/server/tasks';

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;
type Caller = ReturnType<typeof createCaller>;
declare const api: Caller;

describe('task.<id> procedures', () => {
  it('take the task input and options', () => {
    expectTypeOf<Inputs['task']['processFile']['enqueue']['input']>().toEqualTypeOf<{
      fileName: string;
      content: string;
      pauseMs?: number;
    }>();
    expectTypeOf<Inputs['task']['sleep']['enqueueMany']['items'][number]['input']>().toEqualTypeOf<{
      ms: number;
    }>();
    expectTypeOf<Inputs['task']['sleep']['get']>().toEqualTypeOf<{ executionId: string }>();
  });

  it('refuse a wrong input at compile time', () => {
    // @ts-expect-error: content must be a string
    void api.task.processFile.enqueue({ input: { fileName: 'a', content: 1 } });
    // @ts-expect-error: fileName is missing
    void api.task.processFile.enqueue({ input: { content: 'a' } });
    // @ts-expect-error: not an option of enqueue
    void api.task.sleep.enqueue({ input: { ms: 1 }, options: { tx: {} } });
    // @ts-expect-error: no such task
    void api.task.nope;
  });

  it('return the task output, narrowed by status', () => {
    type Got = Outputs['task']['processFile']['get'];
    expectTypeOf<Extract<Got, { status: 'completed' }>['output']>().toEqualTypeOf<FileReport>();
    expectTypeOf<
      Extract<Got, { status: ActiveTaskExecutionStatus }>['output']
    >().toEqualTypeOf<undefined>();
    expectTypeOf<Got['progress']>().toEqualTypeOf<TaskProgress | undefined>();
    type Waited = Outputs['task']['sleep']['wait'];
    expectTypeOf<Extract<Waited, { status: 'completed' }>['output']>().toEqualTypeOf<{
      sleptMs: number;
    }>();
    expectTypeOf<Outputs['task']['echo']['enqueueMany']>().toEqualTypeOf<
      { executionId: string; created: boolean }[]
    >();
  });
});
