/** The executors sharing this database, from their heartbeats (the workers page). */
import { createTRPCRouter, publicProcedure } from '../trpc';

export const executorsRouter = createTRPCRouter({
  list: publicProcedure.query(async ({ ctx }) => {
    const { executor } = await ctx.getDurably();
    const executors = await executor.getExecutors();
    return { executors, thisExecutorId: executor.getExecutorId(), now: Date.now() };
  }),
});
