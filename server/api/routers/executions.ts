import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { DurableExecutionError, isUnreadableValue, type TaskExecution } from '@/server/engine';
import { callerOf, visibleTo } from '../access';
import { enqueueInputParser } from '../enqueueInput';
import { eventBatches } from '../eventBatches';
import { executionFilterSchema, toExecutionFilter } from '../executionFilter';
import { bulkRouter } from './bulk';
import { toExecutionSummary } from '../executionSummary';
import { executionIdSchema } from './taskProcedures';
import { adminProcedure, createTRPCRouter, publicProcedure, type ApiContext } from '../trpc';

const executionId = executionIdSchema;

/** The task and unique id a sleeping execution waits on. */
function sleepingTarget(execution: TaskExecution<unknown>): { taskId: string; uniqueId: string } {
  // A finished one too: the engine answers with the first wakeup's outcome, or refuses.
  if (typeof execution.runInput !== 'string') {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `Execution ${execution.executionId} of task ${execution.taskId} is not a sleeping task's`,
    });
  }
  return { taskId: execution.taskId, uniqueId: execution.runInput };
}

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

  /**
   * Wakes a sleeping execution (`waiting_for_event`): completes it with `output`, or fails it
   * with `message`. By execution id, or by task and unique id (kept when it comes first).
   */
  wakeup: adminProcedure
    .input(
      z.object({
        target: z.union([
          z.object({ executionId }),
          z.object({ taskId: z.string().min(1).max(255), uniqueId: z.string().min(1).max(255) }),
        ]),
        outcome: z.discriminatedUnion('status', [
          z.object({ status: z.literal('completed'), output: z.unknown() }),
          z.object({ status: z.literal('failed'), message: z.string().min(1).max(10_000) }),
        ]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { executor } = await ctx.getDurably();
      const { taskId, uniqueId } =
        'executionId' in input.target
          ? sleepingTarget(
              orNotFound(
                await executor.getExecution(input.target.executionId),
                input.target.executionId,
              ),
            )
          : input.target;
      const result = await executor.wakeupSleepingTaskExecutionById(
        taskId,
        uniqueId,
        input.outcome.status === 'completed'
          ? { status: 'completed', output: input.outcome.output }
          : { status: 'failed', error: new DurableExecutionError(input.outcome.message, false) },
      );
      return result.kind === 'applied'
        ? { kind: result.kind, executionId: result.execution.executionId }
        : result.kind === 'kept'
          ? { kind: result.kind, expiresAt: result.expiresAt }
          : { kind: result.kind, executionId: result.executionId ?? null };
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
      executionFilterSchema.extend({
        cursor: z
          .object({ createdAt: z.number().int(), executionId: z.string().max(64) })
          .nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { executor } = await ctx.getDurably();
      const page = await executor.listExecutions({
        ...toExecutionFilter(input),
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

  /** The retention in force: finished trees older than `retentionMs` are pruned (null: kept). */
  retention: publicProcedure.query(async ({ ctx }) => {
    const { executor } = await ctx.getDurably();
    return executor.getRetention();
  }),

  stats: publicProcedure.query(async ({ ctx }) => {
    const { executor } = await ctx.getDurably();
    return executor.getExecutionStats();
  }),

  /** Throughput, latency percentiles, failure rate and backlog over the last hour or day. */
  metrics: publicProcedure
    .input(
      z.object({
        window: z.enum(['hour', 'day']),
        taskId: z.string().min(1).max(255).nullish(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { executor } = await ctx.getDurably();
      return executor.getExecutionMetrics(input.window, input.taskId ?? null);
    }),

  /** Cancel or rerun every execution matching a filter (or a selection), in the background. */
  bulk: bulkRouter,

  /** Live updates (server-sent events): batches of changed execution ids ([] = "something"). */
  onUpdate: publicProcedure.subscription(async function* ({ ctx, signal }) {
    const { executor } = await ctx.getDurably();
    yield* eventBatches((push) => executor.onExecutionsUpdated(push), signal, 250);
  }),
});
