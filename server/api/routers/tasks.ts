import { z } from 'zod';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { catalog } from '@/server/tasks';
import { createTRPCRouter, publicProcedure } from '../trpc';

/** The catalog of tasks clients may enqueue, with options and input JSON Schemas for forms. */
export const tasksRouter = createTRPCRouter({
  list: publicProcedure.query(async ({ ctx }) => {
    const { executor } = await ctx.getDurably();
    const registered = new Map(executor.listTasks().map((task) => [task.id, task]));
    const flow = new Map((await executor.getFlowStatus()).map((status) => [status.taskId, status]));
    return catalog.flatMap(({ id, description, inputSchema, access }) => {
      const task = registered.get(id);
      if (!task) return [];
      return [
        {
          id,
          kind: task.kind,
          description,
          /** Who may enqueue it without the admin token. */
          access: typeof access === 'function' ? ('custom' as const) : access,
          timeoutMs: task.timeoutMs,
          sleepMsBeforeRun: task.sleepMsBeforeRun,
          retryOptions: task.retryOptions,
          hasFinalizeTask: task.finalizeTaskId !== null,
          /** Concurrency and rate limits with their use per key; null without limits. */
          flow: flow.get(id) ?? null,
          inputJsonSchema: inputJsonSchema(inputSchema),
        },
      ];
    });
  }),
});

/** A JSON Schema of the input for the form, when the schema can give one (zod's can). */
function inputJsonSchema(schema: StandardSchemaV1): Record<string, unknown> {
  if (!(schema instanceof z.ZodType)) return {};
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}
