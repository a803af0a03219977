/**
 * The task catalog: every task this app's executors run and clients may call. Adding a task is
 * one module (see `defineTask`) and one line here; the API, the forms and the typed client
 * follow from this list.
 */
import {
  approval,
  bestEffort,
  echo,
  fail,
  fanOut,
  flaky,
  pipeline,
  sleepTask,
  tenantSleep,
} from './diagnostics';
import { processFile } from './fileProcessing';

export const catalog = [
  echo,
  sleepTask,
  fail,
  flaky,
  fanOut,
  bestEffort,
  tenantSleep,
  pipeline,
  processFile,
  approval,
] as const;
