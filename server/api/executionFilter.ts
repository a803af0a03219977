/** The executions list's filter, shared by `executions.list` and the bulk actions. */
import { z } from 'zod';
import {
  ACTIVE_STATUSES,
  FINISHED_STATUSES,
  parseValuePath,
  type ExecutionFilter,
} from '@/server/engine';

export const statusSchema = z.enum([...ACTIVE_STATUSES, ...FINISHED_STATUSES]);

export const executionFilterSchema = z.object({
  status: z.union([statusSchema, z.array(statusSchema).max(10)]).optional(),
  taskId: z.string().max(255).optional(),
  rootOnly: z.boolean().optional(),
  search: z.string().trim().max(64).optional(),
  /** Created at or after / before (epoch ms). */
  createdFrom: z.number().int().min(0).optional(),
  createdTo: z.number().int().min(0).optional(),
  /** `input.customerId` = "c_42": a path into the input or output and a JSON value. */
  match: z
    .object({
      path: z.string().max(200),
      value: z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]),
    })
    .optional(),
});

export type ExecutionFilterInput = z.infer<typeof executionFilterSchema>;

/** The engine's filter for the API's. */
export function toExecutionFilter(input: ExecutionFilterInput): ExecutionFilter {
  return {
    ...(input.status ? { statuses: [input.status].flat() } : {}),
    ...(input.taskId ? { taskId: input.taskId } : {}),
    ...(input.rootOnly ? { rootOnly: true } : {}),
    ...(input.search ? { executionIdPrefix: input.search } : {}),
    ...(input.createdFrom !== undefined ? { createdFrom: input.createdFrom } : {}),
    ...(input.createdTo !== undefined ? { createdTo: input.createdTo } : {}),
    // A bad path throws DurableOptionsError: a BAD_REQUEST saying what is wrong with it.
    ...(input.match
      ? { valueMatch: { ...parseValuePath(input.match.path), value: input.match.value } }
      : {}),
  };
}
