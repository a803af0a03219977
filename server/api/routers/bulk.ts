/**
 * `executions.bulk.*`: count what a filter matches (the confirmation), start a cancel or a
 * rerun of all of it as a background operation, and read its progress. Admin only.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { BulkOperations, isUnreadableValue, type BulkOperation } from '@/server/engine';
import type { Durably } from '@/server/executor';
import { executionFilterSchema, toExecutionFilter } from '../executionFilter';
import { adminProcedure, createTRPCRouter } from '../trpc';

const executionId = z.string().regex(/^te_[\w-]{24}$/, 'Not an execution id');
const targetSchema = z.union([
  z.object({ filter: executionFilterSchema }),
  z.object({ executionIds: z.array(executionId).min(1).max(10_000) }),
]);

/** One registry per executor (kept as long as it is). */
const registries = new WeakMap<Durably['executor'], BulkOperations>();

function bulkOperationsOf({ executor, storage }: Durably): BulkOperations {
  let registry = registries.get(executor);
  if (!registry) {
    registry = new BulkOperations({
      listExecutions: (query) => storage.listExecutions(query),
      countExecutions: (filter) => storage.countExecutions(filter),
      act: async (kind, id) => {
        if (kind === 'cancel') {
          if (!(await executor.cancelExecution(id))) throw new Error('not found');
          return;
        }
        const execution = await executor.getExecution(id);
        if (!execution) throw new Error('not found');
        if (isUnreadableValue(execution.runInput)) throw new Error('its input cannot be read');
        await executor.enqueueTaskById(execution.taskId, execution.runInput);
      },
    });
    registries.set(executor, registry);
  }
  return registry;
}

export const bulkRouter = createTRPCRouter({
  /** How many executions the filter matches now. */
  count: adminProcedure
    .input(z.object({ filter: executionFilterSchema }))
    .query(async ({ ctx, input }): Promise<{ count: number }> => {
      const { storage } = await ctx.getDurably();
      return { count: await storage.countExecutions(toExecutionFilter(input.filter)) };
    }),

  start: adminProcedure
    .input(z.object({ kind: z.enum(['cancel', 'rerun']), target: targetSchema }))
    .mutation(async ({ ctx, input }): Promise<BulkOperation> => {
      const registry = bulkOperationsOf(await ctx.getDurably());
      const target =
        'filter' in input.target
          ? { filter: toExecutionFilter(input.target.filter) }
          : { executionIds: input.target.executionIds };
      return registry.start(input.kind, target);
    }),

  get: adminProcedure
    .input(z.object({ operationId: z.string().max(64) }))
    .query(async ({ ctx, input }): Promise<BulkOperation> => {
      const operation = bulkOperationsOf(await ctx.getDurably()).get(input.operationId);
      if (!operation) {
        throw new TRPCError({
          code: 'NOT_FOUND',
          message: `Bulk operation ${input.operationId} not found`,
        });
      }
      return operation;
    }),
});
