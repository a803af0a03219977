/**
 * The typed enqueue input: a union over the task catalog, so a client's `input` is checked
 * against the chosen task's schema at compile time and on the server.
 */
import { z } from 'zod';
import { taskInputSchemas, type CatalogTaskId } from '@/server/tasks';

export const enqueueOptionsSchema = z
  .object({
    retryOptions: z
      .object({
        maxAttempts: z.number().int().min(0).max(1000),
        baseDelayMs: z.number().min(0).optional(),
        delayMultiplier: z.number().min(0.1).optional(),
        maxDelayMs: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    sleepMsBeforeRun: z.number().int().optional(),
    timeoutMs: z.number().int().min(1).optional(),
    priority: z
      .number()
      .int()
      .min(-(2 ** 31 - 1))
      .max(2 ** 31 - 1)
      .optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
    idempotencyTtlMs: z.number().int().min(1).optional(),
  })
  .strict();

function variant<K extends CatalogTaskId>(taskId: K) {
  return z.object({
    taskId: z.literal(taskId),
    input: taskInputSchemas[taskId],
    options: enqueueOptionsSchema.optional(),
  });
}

export const enqueueInputSchema = z.discriminatedUnion('taskId', [
  variant('echo'),
  variant('sleep'),
  variant('fail'),
  variant('flaky'),
  variant('fanOut'),
  variant('bestEffort'),
  variant('tenantSleep'),
  variant('pipeline'),
  variant('processFile'),
  variant('approval'),
]);

export type EnqueueInput = z.input<typeof enqueueInputSchema>;
