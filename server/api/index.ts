export { appRouter, createCaller, type AppRouter } from './root';
export { createApiContext, type ApiContext } from './trpc';
export type { ExecutionSummary } from './executionSummary';
export type { EnqueueInput } from './enqueueInput';
/** Read queries return it in place of a stored value that cannot be deserialized. */
export type { UnreadableValue } from '@/server/engine';
