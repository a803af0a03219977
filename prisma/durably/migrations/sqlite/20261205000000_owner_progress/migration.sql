-- Owners (who an execution belongs to, from the app's access policy) and reported progress.
ALTER TABLE "durably_task_executions" ADD COLUMN "owner" TEXT;
ALTER TABLE "durably_task_executions" ADD COLUMN "progress" TEXT;
