import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  ACTIVE_STATUSES,
  FINISHED_STATUSES,
  isUnreadableValue,
  type TaskExecution,
} from '@/server/engine';
import { callerOf, visibleTo } from '../access';
import { enqueueInputParser } from '../enqueueInput';
import { eventBatches } from '../eventBatches';
import { toExecutionSummary } from '../executionSummary';
import { executionIdSchema } from './taskProcedures';
import { adminProcedure, createTRPCRouter, publicProcedure, type ApiContext } from '../trpc';

const executionId = executionIdSchema;
const statusSchema = z.enum([...ACTIVE_STATUSES, ...FINISHED_STATUSES]);

function orNotFound<T>(value: T | null, id: string): T {
  if (value === null)
    throw new TRPCError({ code: 'NOT_FOUND', message: `Execution ${id} not found` });
  return value;
}

/** The execution when this caller may see it (an owned one: admins and its owner only). */
function visible(
  ctx: ApiContext,
  execution: TaskExecution<unknown> | null,
  id: string,
): TaskExecution<unknown> {
  const found = orNotFound(execution, id);
  return orNotFound(visibleTo(callerOf(ctx), found.owner) ? found : null, id);
}

export const executionsRouter = createTRPCRouter({
  enqueue: adminProcedure.input(enqueueInputParser).mutation(async ({ ctx, input }) => {
    const { executor } = await ctx.getDurably();
    // `created` is false when the idempotency key was taken: the id is the existing execution's.
    return executor.enqueueTaskById(input.taskId, input.input, input.options);
  }),

  /** Why a ready execution is not running yet: a full concurrency slot, a spent rate budget. */
  waitReason: publicProcedure
    .input(z.object({ executionId }))
    .query(async ({ ctx, input }): Promise<{ reason: string | null }> => {
      const { executor } = await ctx.getDurably();
      const execution = visible(
        ctx,
        await executor.getExecution(input.executionId),
        input.executionId,
      );
      return { reason: await executor.describeWaiting(execution) };
    }),

  get: publicProcedure
    .input(z.object({ executionId }))
    .query(async ({ ctx, input }): Promise<TaskExecution<unknown>> => {
      const { executor } = await ctx.getDurably();
      return visible(ctx, await executor.getExecution(input.executionId), input.executionId);
    }),

  /** Long-poll: returns when the execution finishes, or as it is when `timeoutMs` runs out. */
  wait: publicProcedure
    .input(
      z.object({ executionId, timeoutMs: z.number().int().min(0).max(60_000).default(25_000) }),
    )
    .query(async ({ ctx, input, signal }): Promise<TaskExecution<unknown>> => {
      const { executor } = await ctx.getDurably();
      const execution = await executor.waitForExecution(input.executionId, {
        timeoutMs: input.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      return visible(ctx, execution, input.executionId);
    }),

  cancel: adminProcedure.input(z.object({ executionId })).mutation(async ({ ctx, input }) => {
    const { executor } = await ctx.getDurably();
    orNotFound((await executor.cancelExecution(input.executionId)) || null, input.executionId);
    return { executionId: input.executionId };
  }),

  rerun: adminProcedure.input(z.object({ executionId })).mutation(async ({ ctx, input }) => {
    const { executor } = await ctx.getDurably();
    const execution = orNotFound(await executor.getExecution(input.executionId), input.executionId);
    if (isUnreadableValue(execution.runInput)) {
      throw new TRPCError({
        code: 'PRECONDITION_FAILED',
        message: `The input of execution ${input.executionId} cannot be read (${execution.runInput.error}), so it cannot be rerun`,
      });
    }
    // The stored input was validated (and transformed) by its first enqueue: not again.
    const rerun = orNotFound(await executor.rerunExecution(input.executionId), input.executionId);
    return { executionId: rerun.executionId };
  }),

  list: publicProcedure
    .input(
      z.object({
        status: z.union([statusSchema, z.array(statusSchema).max(10)]).optional(),
        taskId: z.string().max(255).optional(),
        rootOnly: z.boolean().optional(),
        search: z.string().trim().max(64).optional(),
        cursor: z
          .object({ createdAt: z.number().int(), executionId: z.string().max(64) })
          .nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { executor } = await ctx.getDurably();
      const page = await executor.listExecutions({
        ...(input.status ? { statuses: [input.status].flat() } : {}),
        ...(input.taskId ? { taskId: input.taskId } : {}),
        ...(input.rootOnly ? { rootOnly: true } : {}),
        ...(input.search ? { executionIdPrefix: input.search } : {}),
        ...(input.cursor ? { cursor: input.cursor } : {}),
        limit: input.limit,
      });
      const caller = callerOf(ctx);
      return {
        items: page.items
          .filter((execution) => visibleTo(caller, execution.owner))
          .map(toExecutionSummary),
        nextCursor: page.nextCursor,
      };
    }),

  /** The whole tree of the execution's root: parents before children, children by index. */
  tree: publicProcedure.input(z.object({ executionId })).query(async ({ ctx, input }) => {
    const { executor } = await ctx.getDurably();
    const nodes = await executor.getExecutionTree(input.executionId);
    const root = nodes[0];
    if (!root || !visibleTo(callerOf(ctx), root.owner))
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: `Execution ${input.executionId} not found`,
      });
    return { rootExecutionId: root.executionId, nodes: nodes.map(toExecutionSummary) };
  }),

  stats: publicProcedure.query(async ({ ctx }) => {
    const { executor } = await ctx.getDurably();
    return executor.getExecutionStats();
  }),

  /** Live updates (server-sent events): batches of changed execution ids ([] = "something"). */
  onUpdate: publicProcedure.subscription(async function* ({ ctx, signal }) {
    const { executor } = await ctx.getDurably();
    yield* eventBatches((push) => executor.onExecutionsUpdated(push), signal, 250);
  }),
});
