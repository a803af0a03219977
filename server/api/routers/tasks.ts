import { z } from 'zod';
import { catalogTaskIds, taskDescriptions, taskInputSchemas } from '@/server/tasks';
import { createTRPCRouter, publicProcedure } from '../trpc';

/** The catalog of tasks clients may enqueue, with options and input JSON Schemas for forms. */
export const tasksRouter = createTRPCRouter({
  list: publicProcedure.query(async ({ ctx }) => {
    const { executor } = await ctx.getDurably();
    const registered = new Map(executor.listTasks().map((task) => [task.id, task]));
    const flow = new Map((await executor.getFlowStatus()).map((status) => [status.taskId, status]));
    return catalogTaskIds.flatMap((id) => {
      const task = registered.get(id);
      if (!task) return [];
      return [
        {
          id,
          kind: task.kind,
          description: taskDescriptions[id],
          timeoutMs: task.timeoutMs,
          sleepMsBeforeRun: task.sleepMsBeforeRun,
          retryOptions: task.retryOptions,
          hasFinalizeTask: task.finalizeTaskId !== null,
          /** Concurrency and rate limits with their use per key; null without limits. */
          flow: flow.get(id) ?? null,
          inputJsonSchema: z.toJSONSchema(taskInputSchemas[id], {
            io: 'input',
            unrepresentable: 'any',
          }),
        },
      ];
    });
  }),
});
