/**
 * Typed procedures per catalog task, generated from the catalog: `task.<id>.enqueue`,
 * `enqueueMany`, `get`, `wait`, `cancel`. Inputs are the task's own input type and outputs its
 * output, narrowed by status; each input is validated once, by the engine, with the task's
 * schema. The access policy (../access.ts) decides who may call them.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { TaskExecution } from '@/server/engine';
import {
  catalog,
  type AnyCatalogTask,
  type Catalog,
  type CatalogTaskInput,
  type CatalogTaskOutput,
} from '@/server/tasks';
import { authorizeTask, callerOf, ownerForEnqueue } from '../access';
import { taskCallParser, taskCallsParser } from '../enqueueInput';
import { eventBatches } from '../eventBatches';
import { createTRPCRouter, publicProcedure, sameSiteProcedure, type ApiContext } from '../trpc';

export const executionIdSchema = z.string().regex(/^te_[\w-]{24}$/, 'Not an execution id');

/** The execution if it is one of `task`'s and the caller may read it, else NOT_FOUND. */
function readable(
  ctx: ApiContext,
  task: AnyCatalogTask,
  execution: TaskExecution<unknown> | null,
  executionId: string,
): TaskExecution<unknown> {
  if (!execution || execution.taskId !== task.id) {
    throw new TRPCError({
      code: 'NOT_FOUND',
      message: `Execution ${executionId} of task ${task.id} not found`,
    });
  }
  authorizeTask(callerOf(ctx), task.access, {
    action: 'read',
    owner: callerOf(ctx).owner,
    execution: { executionId, owner: execution.owner ?? null },
  });
  return execution;
}

export function taskRouter<T extends AnyCatalogTask>(task: T) {
  type Input = CatalogTaskInput<T>;
  type Output = CatalogTaskOutput<T>;

  const enqueueOwner = (ctx: ApiContext): string | null => {
    const caller = callerOf(ctx);
    authorizeTask(caller, task.access, { action: 'enqueue', owner: caller.owner });
    // Only tasks open to non-admins tie executions to their callers.
    return task.access === 'admin' ? null : ownerForEnqueue(ctx, caller);
  };

  return createTRPCRouter({
    enqueue: sameSiteProcedure
      .input(taskCallParser<Input>())
      .mutation(async ({ ctx, input }): Promise<{ executionId: string; created: boolean }> => {
        const owner = enqueueOwner(ctx);
        const { executor } = await ctx.getDurably();
        return executor.enqueueTaskById(task.id, input.input, {
          ...input.options,
          ...(owner ? { owner } : {}),
        });
      }),

    /** Up to 1,000 executions in one insert: every one, or none when any is refused. */
    enqueueMany: sameSiteProcedure
      .input(taskCallsParser<Input>())
      .mutation(async ({ ctx, input }): Promise<{ executionId: string; created: boolean }[]> => {
        const owner = enqueueOwner(ctx);
        const { executor } = await ctx.getDurably();
        return executor.enqueueTasksById(
          task.id,
          input.items.map((item) => ({
            input: item.input,
            ...(item.options ? { options: item.options } : {}),
          })),
          owner ? { owner } : {},
        );
      }),

    get: publicProcedure
      .input(z.object({ executionId: executionIdSchema }))
      .query(async ({ ctx, input }): Promise<TaskExecution<Output>> => {
        const { executor } = await ctx.getDurably();
        const execution = await executor.getExecution(input.executionId);
        // The stored output is this task's output (an unreadable one is marked, as in every
        // read for APIs).
        return readable(ctx, task, execution, input.executionId) as TaskExecution<Output>;
      }),

    /** Long-poll: the execution once it finished, or as it is when `timeoutMs` runs out. */
    wait: publicProcedure
      .input(
        z.object({
          executionId: executionIdSchema,
          timeoutMs: z.number().int().min(0).max(60_000).default(25_000),
        }),
      )
      .query(async ({ ctx, input, signal }): Promise<TaskExecution<Output>> => {
        const { executor } = await ctx.getDurably();
        // Checked before waiting, so a wait on another task's execution returns at once.
        readable(ctx, task, await executor.getExecution(input.executionId), input.executionId);
        const execution = await executor.waitForExecution(input.executionId, {
          timeoutMs: input.timeoutMs,
          ...(signal ? { signal } : {}),
        });
        return readable(ctx, task, execution, input.executionId) as TaskExecution<Output>;
      }),

    /**
     * Live updates of one execution's tree (server-sent events): batches of its changed ids.
     * Only changes of this tree reach the stream, so many streams cost little each.
     */
    onUpdate: publicProcedure
      .input(z.object({ executionId: executionIdSchema }))
      .subscription(async function* ({ ctx, input, signal }) {
        const { executor } = await ctx.getDurably();
        readable(ctx, task, await executor.getExecution(input.executionId), input.executionId);
        const members = new Set([input.executionId]);
        const refresh = async () => {
          for (const node of await executor.getExecutionTree(input.executionId)) {
            members.add(node.executionId);
          }
        };
        await refresh();
        const batches = eventBatches(
          (push) =>
            executor.onExecutionsUpdated((ids) => {
              if (ids.some((id) => members.has(id))) push(ids.filter((id) => members.has(id)));
            }),
          signal,
          250,
        );
        for await (const ids of batches) {
          yield ids;
          // Children appear when their parent changes: take them in for the next batches.
          await refresh();
        }
      }),

    cancel: sameSiteProcedure
      .input(z.object({ executionId: executionIdSchema }))
      .mutation(async ({ ctx, input }) => {
        const { executor } = await ctx.getDurably();
        const execution = await executor.getExecution(input.executionId);
        readable(ctx, task, execution, input.executionId);
        const caller = callerOf(ctx);
        authorizeTask(caller, task.access, {
          action: 'cancel',
          owner: caller.owner,
          execution: { executionId: input.executionId, owner: execution?.owner ?? null },
        });
        await executor.cancelExecution(input.executionId);
        return { executionId: input.executionId };
      }),
  });
}

type TaskRouters = { [K in Catalog[number] as K['id']]: ReturnType<typeof taskRouter<K>> };

export const taskProceduresRouter = createTRPCRouter(
  Object.fromEntries(catalog.map((task) => [task.id, taskRouter(task)])) as TaskRouters,
);
