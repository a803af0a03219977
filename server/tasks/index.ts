/** The task registry: every task this app's executors run. */
import type { DurableExecutor } from '@/server/engine';
import { defineDiagnosticTasks } from './diagnostics';
import { defineFileProcessingTasks } from './fileProcessing';

export function registerTasks(executor: DurableExecutor) {
  return { ...defineDiagnosticTasks(executor), ...defineFileProcessingTasks(executor) };
}

export type RegisteredTasks = ReturnType<typeof registerTasks>;

export {
  taskInputSchemas,
  taskDescriptions,
  catalogTaskIds,
  isCatalogTaskId,
  type CatalogTaskId,
} from './schemas';
