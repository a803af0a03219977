/** The executions list's filter, shared by `executions.list` and the bulk actions. */
import { z } from 'zod';
import { ACTIVE_STATUSES, FINISHED_STATUSES, type ExecutionFilter } from '@/server/engine';

export const statusSchema = z.enum([...ACTIVE_STATUSES, ...FINISHED_STATUSES]);

export const executionFilterSchema = z.object({
  status: z.union([statusSchema, z.array(statusSchema).max(10)]).optional(),
  taskId: z.string().max(255).optional(),
  rootOnly: z.boolean().optional(),
  search: z.string().trim().max(64).optional(),
});

export type ExecutionFilterInput = z.infer<typeof executionFilterSchema>;

/** The engine's filter for the API's. */
export function toExecutionFilter(input: ExecutionFilterInput): ExecutionFilter {
  return {
    ...(input.status ? { statuses: [input.status].flat() } : {}),
    ...(input.taskId ? { taskId: input.taskId } : {}),
    ...(input.rootOnly ? { rootOnly: true } : {}),
    ...(input.search ? { executionIdPrefix: input.search } : {}),
  };
}
