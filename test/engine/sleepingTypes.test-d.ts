/** Type flow of sleeping tasks: the unique id in, the wakeup's output out. */
import { describe, expectTypeOf, it } from 'vitest';
import { createInMemoryStorage, DurableExecutor } from '@/server/engine';
import type {
  DurableTask,
  FinishedTaskExecution,
  SleepingTask,
  SleepingTaskWakeupResult,
  TaskHandle,
} from '@/server/engine';

const executor = new DurableExecutor(createInMemoryStorage());
const approval = executor.sleepingTask<{ approved: boolean }>({ id: 'approval', timeoutMs: 1 });

describe('sleeping tasks', () => {
  it('take a unique id and give the wakeup output', () => {
    expectTypeOf(approval).toEqualTypeOf<SleepingTask<{ approved: boolean }>>();
    expectTypeOf(approval).toExtend<DurableTask<string, { approved: boolean }>>();
    expectTypeOf(executor.enqueueTask(approval, 'order-1')).toEqualTypeOf<
      Promise<TaskHandle<{ approved: boolean }>>
    >();
    // @ts-expect-error the input is the unique id, a string
    void executor.enqueueTask(approval, { id: 1 });
  });

  it('wake up with an output of the task type, or an error', () => {
    const result = executor.wakeupSleepingTaskExecution(approval, 'order-1', {
      status: 'completed',
      output: { approved: true },
    });
    expectTypeOf(result).toEqualTypeOf<Promise<SleepingTaskWakeupResult<{ approved: boolean }>>>();
    void executor.wakeupSleepingTaskExecution(approval, 'order-1', {
      status: 'failed',
      error: new Error('no'),
    });
    void executor.wakeupSleepingTaskExecution(approval, 'order-1', {
      status: 'completed',
      // @ts-expect-error the output must be the task's
      output: { approved: 'yes' },
    });
    const plain = executor.task({ id: 'plain', timeoutMs: 1, run: () => ({ approved: true }) });
    // @ts-expect-error only sleeping tasks are woken up
    void executor.wakeupSleepingTaskExecution(plain, 'x', {
      status: 'completed',
      output: { approved: true },
    });
  });

  it('narrow the result by kind', () => {
    const check = (result: SleepingTaskWakeupResult<{ approved: boolean }>) => {
      if (result.kind === 'applied') {
        expectTypeOf(result.execution).toEqualTypeOf<
          FinishedTaskExecution<{ approved: boolean }>
        >();
      }
      if (result.kind === 'kept') expectTypeOf(result.expiresAt).toEqualTypeOf<Date>();
    };
    void check;
  });
});
