/**
 * One definition per task: its id, input schema, description, who may call it, and the code
 * (through the engine's builders). The catalog lists these; the executor's registry, the API's
 * typed procedures and the dashboard's forms are all derived from it.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { DurableExecutor, DurableTask, TaskBuilders } from '@/server/engine';

/** Context an access function gets: who asks (an owner from the policy) and what for. */
export interface TaskAccessRequest {
  action: 'enqueue' | 'read' | 'cancel';
  /** The caller's owner id (an opaque string from the access policy), when it has one. */
  owner: string | null;
  /** The execution read or cancelled, with its stored owner. */
  execution?: { executionId: string; owner: string | null };
}

/**
 * Who may call a task without the admin token: `'admin'` (the default: enqueue and cancel
 * need the token), `'public'` (anyone may enqueue, and read or cancel their own executions),
 * or a function deciding per request.
 */
export type TaskAccess = 'admin' | 'public' | ((request: TaskAccessRequest) => boolean);

/** What a task module's `define` gets: schema-bound builders, the executor, other tasks. */
export interface DefineContext {
  id: string;
  executor: DurableExecutor;
  /** The registered handle of another catalog task (to use it as a child, say). */
  use: <TIn, TOut>(task: CatalogTask<string, TIn, TOut>) => DurableTask<TIn, TOut>;
}

export interface CatalogTask<TId extends string, TInput, TOutput> {
  readonly id: TId;
  readonly description: string;
  readonly inputSchema: StandardSchemaV1<TInput>;
  readonly access: TaskAccess;
  /** Registers the task (and any helper tasks it defines) on `executor`; once per executor. */
  readonly register: (
    executor: DurableExecutor,
    context: DefineContext,
  ) => DurableTask<TInput, TOutput>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- variance: any catalog task fits
export type AnyCatalogTask = CatalogTask<string, any, any>;
export type CatalogTaskInput<T> = T extends CatalogTask<string, infer I, unknown> ? I : never;
export type CatalogTaskOutput<T> = T extends CatalogTask<string, unknown, infer O> ? O : never;

export function defineTask<
  const TId extends string,
  TSchema extends StandardSchemaV1,
  TOutput,
>(spec: {
  id: TId;
  description: string;
  input: TSchema;
  access?: TaskAccess;
  define: (
    builders: TaskBuilders<
      StandardSchemaV1.InferInput<TSchema>,
      StandardSchemaV1.InferOutput<TSchema>
    >,
    context: DefineContext,
  ) => DurableTask<StandardSchemaV1.InferInput<TSchema>, TOutput>;
}): CatalogTask<TId, StandardSchemaV1.InferInput<TSchema>, TOutput> {
  return {
    id: spec.id,
    description: spec.description,
    inputSchema: spec.input,
    access: spec.access ?? 'admin',
    register: (executor, context) => {
      const task = spec.define(executor.inputSchema(spec.input), context);
      if (task.id !== spec.id) {
        throw new Error(`Task module ${spec.id} defined a task with id ${task.id}`);
      }
      return task;
    },
  };
}

/**
 * Registers every task of `catalog` on `executor`, each once, in order (a task used by another
 * through `use` is registered when first used). Returns the handles by id.
 */
export function registerCatalog<const T extends readonly AnyCatalogTask[]>(
  executor: DurableExecutor,
  catalog: T,
): { [K in T[number] as K['id']]: DurableTask<CatalogTaskInput<K>, CatalogTaskOutput<K>> } {
  const handles = new Map<AnyCatalogTask, DurableTask<unknown, unknown>>();
  const registering = new Set<AnyCatalogTask>();
  const use = <TIn, TOut>(task: CatalogTask<string, TIn, TOut>): DurableTask<TIn, TOut> => {
    const known = handles.get(task);
    if (known) return known as DurableTask<TIn, TOut>;
    if (registering.has(task)) throw new Error(`Task ${task.id} uses itself`);
    registering.add(task);
    const handle = task.register(executor, { id: task.id, executor, use });
    handles.set(task, handle);
    return handle;
  };
  const byId: Record<string, DurableTask<unknown, unknown>> = {};
  for (const task of catalog) byId[task.id] = use(task);
  return byId as {
    [K in T[number] as K['id']]: DurableTask<CatalogTaskInput<K>, CatalogTaskOutput<K>>;
  };
}
