/** The API: one router per domain. */
import { authRouter } from './routers/auth';
import { executionsRouter } from './routers/executions';
import { executorsRouter } from './routers/executors';
import { taskProceduresRouter } from './routers/taskProcedures';
import { tasksRouter } from './routers/tasks';
import { createCallerFactory, createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  auth: authRouter,
  tasks: tasksRouter,
  executions: executionsRouter,
  executors: executorsRouter,
  /** Typed procedures per catalog task: `task.<id>.enqueue / enqueueMany / get / wait / cancel`. */
  task: taskProceduresRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
