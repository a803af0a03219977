export { appRouter, createCaller, type AppRouter } from './root';
export { createApiContext, type ApiContext } from './trpc';
export type { ExecutionSummary } from './executionSummary';
export type { EnqueueInput } from './enqueueInput';
