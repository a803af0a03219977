/** The task registry: every task this app's executors run, derived from the catalog. */
import type { DurableExecutor } from '@/server/engine';
import { catalog } from './catalog';
import { registerCatalog, type AnyCatalogTask } from './defineTask';

export type Catalog = typeof catalog;
export type CatalogTaskId = Catalog[number]['id'];
/** The catalog entry of `TId`. */
export type CatalogTaskOf<TId extends CatalogTaskId> = Extract<Catalog[number], { id: TId }>;

export function registerTasks(executor: DurableExecutor) {
  return registerCatalog(executor, catalog);
}

export type RegisteredTasks = ReturnType<typeof registerTasks>;

export const catalogTaskIds: readonly CatalogTaskId[] = catalog.map((task) => task.id);

const byId = new Map<string, AnyCatalogTask>(catalog.map((task) => [task.id, task]));

export function isCatalogTaskId(taskId: string): taskId is CatalogTaskId {
  return byId.has(taskId);
}

export function findCatalogTask(taskId: string): AnyCatalogTask | undefined {
  return byId.get(taskId);
}

export { catalog };
export {
  defineTask,
  registerCatalog,
  type AnyCatalogTask,
  type CatalogTask,
  type CatalogTaskInput,
  type CatalogTaskOutput,
  type DefineContext,
  type TaskAccess,
  type TaskAccessRequest,
} from './defineTask';
export type { FileReport } from './fileProcessing';
