/**
 * Input schemas of the catalog of tasks, kept free of the executor so the API can build its
 * typed enqueue input (and the dashboard its forms) from them alone.
 */
import { z } from 'zod';

export const echoInput = z.unknown();

export const sleepInput = z.object({
  ms: z.number().int().min(0).max(600_000).describe('How long to sleep, in milliseconds'),
});

export const failInput = z.object({
  message: z.string().min(1).max(10_000),
  retryable: z.boolean().optional(),
});

export const flakyInput = z.object({
  failures: z.number().int().min(0).max(10).describe('Attempts that fail before one succeeds'),
});

export const fanOutInput = z.object({
  count: z.number().int().min(1).max(1000).describe('Number of sleep children'),
  sleepMs: z.number().int().min(0).max(60_000).optional(),
});

export const bestEffortInput = z.object({
  count: z.number().int().min(1).max(100).describe('Number of children'),
  failIndexes: z.array(z.number().int().min(0)).max(100).describe('Children that fail'),
});

export const tenantSleepInput = z.object({
  tenant: z.string().min(1).max(255).describe('Runs of one tenant run one at a time'),
  ms: z.number().int().min(0).max(600_000).describe('How long to sleep, in milliseconds'),
});

export const pipelineInput = z.object({
  text: z.string().max(100_000),
});

export const processFileInput = z.object({
  fileName: z.string().min(1).max(255),
  content: z.string().max(500_000),
});

export const approvalInput = z
  .string()
  .min(1)
  .max(255)
  .describe('The unique id its wakeup names (an order id, say)');

/** Every task a client may enqueue, by id. Internal tasks (stages, finalize) are not here. */
export const taskInputSchemas = {
  echo: echoInput,
  sleep: sleepInput,
  fail: failInput,
  flaky: flakyInput,
  fanOut: fanOutInput,
  bestEffort: bestEffortInput,
  tenantSleep: tenantSleepInput,
  pipeline: pipelineInput,
  processFile: processFileInput,
  approval: approvalInput,
} as const;

export type CatalogTaskId = keyof typeof taskInputSchemas;

export const catalogTaskIds = Object.keys(taskInputSchemas) as CatalogTaskId[];

export function isCatalogTaskId(taskId: string): taskId is CatalogTaskId {
  return Object.hasOwn(taskInputSchemas, taskId);
}

export const taskDescriptions: Record<CatalogTaskId, string> = {
  echo: 'Returns its input.',
  sleep: 'Waits the given time; honours cancellation.',
  fail: 'Throws the given message (retryable when asked).',
  flaky: 'Fails the given number of attempts, then succeeds (retries allowed).',
  fanOut: 'A parent with `count` sleep children and a finalize step summing them.',
  bestEffort:
    'A parent whose children may fail: it continues, and its finalize counts every outcome.',
  tenantSleep:
    'Sleeps; one run per tenant at a time (a concurrency limit per key), 20 starts a minute.',
  pipeline: 'Sequential tasks: normalise, tokenise, count words.',
  processFile: 'Extracts a title and a summary in parallel, then combines them.',
  approval:
    'A sleeping task: runs no code, waits up to a day for its wakeup (Complete or Fail on its page).',
};
