/** The API's shapes as the dashboard sees them, inferred from the router type alone. */
import type { TRPCClientErrorLike } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/api';

export type { UnreadableValue } from '@/server/api';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type ApiError = TRPCClientErrorLike<AppRouter>;

export type ExecutionSummary = RouterOutputs['executions']['list']['items'][number];
export type ExecutionDetails = RouterOutputs['executions']['get'];
export type ExecutionStatus = ExecutionSummary['status'];
export type ExecutionStats = RouterOutputs['executions']['stats'];
export type ListCursor = NonNullable<RouterOutputs['executions']['list']['nextCursor']>;
export type TaskInfo = RouterOutputs['tasks']['list'][number];
export type StoredError = NonNullable<ExecutionDetails['error']>;
export type EnqueueRequest = RouterInputs['executions']['enqueue'];
export type ExecutorInfo = RouterOutputs['executors']['list']['executors'][number];
export type ExecutionMetricsData = RouterOutputs['executions']['metrics'];
