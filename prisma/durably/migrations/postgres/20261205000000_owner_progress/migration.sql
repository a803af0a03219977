-- Owners (who an execution belongs to, from the app's access policy) and reported progress.
ALTER TABLE "task_executions" ADD COLUMN "owner" TEXT;
ALTER TABLE "task_executions" ADD COLUMN "progress" TEXT;
