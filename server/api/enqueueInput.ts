/**
 * Enqueue inputs as clients type them: the task's own input type (from the catalog) and the
 * run options. On the server only their shape is read here; the input and options are
 * validated once, by the engine, with the task's own schema and the engine's option rules.
 */
import type { TaskEnqueueOptions } from '@/server/engine';
import {
  isCatalogTaskId,
  type CatalogTaskId,
  type CatalogTaskInput,
  type CatalogTaskOf,
} from '@/server/tasks';

/** The enqueue-time overrides a client may send (the engine checks their values). */
export type ClientEnqueueOptions = TaskEnqueueOptions;

const OPTION_KEYS: ReadonlySet<string> = new Set<keyof ClientEnqueueOptions>([
  'retryOptions',
  'sleepMsBeforeRun',
  'timeoutMs',
  'priority',
  'idempotencyKey',
  'idempotencyTtlMs',
]);

/** One typed call: `{ input, options? }`. */
export interface TaskCallInput<TInput> {
  input: TInput;
  options?: ClientEnqueueOptions;
}

/** The generic (dashboard) enqueue: a union over the catalog, discriminated by `taskId`. */
export type EnqueueInput = {
  [K in CatalogTaskId]: { taskId: K } & TaskCallInput<CatalogTaskInput<CatalogTaskOf<K>>>;
}[CatalogTaskId];

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

/** Options keep only the known keys; an unknown one is refused (a typo must not pass). */
export function parseOptions(value: unknown): ClientEnqueueOptions | undefined {
  if (value === undefined || value === null) return undefined;
  const options = record(value, 'options');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new Error(`Unknown enqueue option "${key}"`);
  }
  return options;
}

/** Reads `{ input, options? }`; the input itself is left to the task's schema. */
export function parseTaskCall<TInput>(value: unknown): TaskCallInput<TInput> {
  const call = record(value, 'The request');
  const options = parseOptions(call.options);
  return { input: call.input as TInput, ...(options ? { options } : {}) };
}

export function taskCallParser<TInput>(): (value: unknown) => TaskCallInput<TInput> {
  return (value) => parseTaskCall<TInput>(value);
}

/** Up to this many items per `enqueueMany`. */
export const MAX_ENQUEUE_MANY = 1_000;

export function taskCallsParser<TInput>(): (value: unknown) => {
  items: TaskCallInput<TInput>[];
} {
  return (value) => {
    const { items } = record(value, 'The request');
    if (!Array.isArray(items)) throw new Error('items must be an array');
    if (items.length === 0) throw new Error('items must not be empty');
    if (items.length > MAX_ENQUEUE_MANY) {
      throw new Error(`items has ${items.length} entries, over the limit of ${MAX_ENQUEUE_MANY}`);
    }
    return { items: items.map((item: unknown) => parseTaskCall<TInput>(item)) };
  };
}

export function enqueueInputParser(value: unknown): EnqueueInput {
  const call = record(value, 'The request');
  if (typeof call.taskId !== 'string' || !isCatalogTaskId(call.taskId)) {
    throw new Error(`Unknown task ${JSON.stringify(call.taskId)?.slice(0, 300)}`);
  }
  return { taskId: call.taskId, ...parseTaskCall(value) } as EnqueueInput;
}
